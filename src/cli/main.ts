#!/usr/bin/env node
import { VERSION } from "./version.js";

// `pocketpaw sessions | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const args = process.argv.slice(2);
// The version alone needs nothing else: answered before the command table is loaded (a
// quarter of this command's start). Anything more on the line goes to the table, which knows -V too.
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) process.stdout.write(`${VERSION}\n`);
else await (await import("./program.js")).run(process.argv, VERSION);
