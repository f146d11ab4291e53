#!/usr/bin/env node
import type * as Program from "./program.js";
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
else void loadProgram().then((program) => program.run(process.argv, VERSION));

/**
 * The command table. As shipped, this file is CommonJS (scripts/build.mjs) and takes the table
 * with require(), which Node (20.19 and later, 22.12 and later) answers for an ES module
 * synchronously, without starting the asynchronous ES module loader: measured, `backends` went
 * from 1.61x to 1.47x `node -e 0`, and `--version` (no ES module at all now) from 1.41x to 1.13x.
 * Elsewhere (the source run by tsx, a Node without it) the table comes by import().
 */
function loadProgram(): Promise<typeof Program> {
  if (typeof require === "function") {
    try {
      return Promise.resolve(require("./program.js") as typeof Program);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ERR_REQUIRE_ESM" && code !== "ERR_REQUIRE_ASYNC_MODULE") return Promise.reject(error);
    }
  }
  return import("./program.js");
}
