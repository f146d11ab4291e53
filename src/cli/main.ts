#!/usr/bin/env node
import { VERSION } from "./version.js";

// `pocketpaw sessions | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const args = process.argv.slice(2);
// The version alone needs nothing else: answered before the command line's parser (commander,
// CommonJS, a third of this command's start) is loaded. With anything else on the line, the
// parser answers (it lists -V, --version in the help too).
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) process.stdout.write(`${VERSION}\n`);
else await (await import("./program.js")).run(process.argv);
