#!/usr/bin/env node
import { run } from "./program.js";

// `pocketpaw sessions | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

await run(process.argv);
