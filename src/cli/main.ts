#!/usr/bin/env node
import { createRequire } from "node:module";
import { Command, CommanderError, Option } from "commander";
import { EXIT } from "./exit-codes.js";

// Each command's module is imported only when that command runs: `pocketpaw --version` must
// not pay for the backend, SQLite and the HTTP stack.
const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

function serverOptions(command: Command): Command {
  return command
    .option("--url <url>", "OpenCode server URL (POCKETPAW_OPENCODE_BASE_URL, default http://localhost:4096)")
    .option("--directory <path>", "project directory on the server (POCKETPAW_OPENCODE_DIRECTORY)")
    .option("--timeout-ms <ms>", "timeout of each request to the server (POCKETPAW_OPENCODE_TIMEOUT_MS, default 30000)");
}

const program = new Command()
  .name("pocketpaw")
  .description("Talk to an OpenCode server (`opencode serve`) from the terminal, streaming what it does.")
  .version(version, "-V, --version")
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    "after",
    `
Settings come from flags, then POCKETPAW_* environment variables, then .env, then
~/.pocketpaw/config.json (POCKETPAW_HOME moves that folder). The password is read only from
POCKETPAW_OPENCODE_PASSWORD (or those files), never from a flag.

Exit codes: 0 ok · 1 the turn ended with an error · 2 bad usage or settings · 3 the server is
unreachable, not OpenCode, or refuses the credentials · 130 interrupted (Ctrl-C).`,
  );

serverOptions(
  program
    .command("ask")
    .description("Send one message and stream the reply: text on stdout, tools and errors on stderr.")
    .argument("<message...>", "the message (several words are joined)")
    .option("-s, --session <key>", "conversation key; the same key continues the conversation", "cli:default")
    .option("-m, --model <provider/model>", "model for this turn (POCKETPAW_OPENCODE_MODEL)")
    .option("--max-turns <n>", "stop after n model steps; 0 = unlimited (POCKETPAW_OPENCODE_MAX_TURNS)")
    .option("--json", "print one AgentEvent per line (NDJSON) on stdout instead of text")
    .addOption(
      new Option("--approve <reply>", "answer permission requests: once, always or reject (default: ask on a terminal, else reject)").choices([
        "once",
        "always",
        "reject",
      ]),
    ),
).action(async (words: string[], flags) => {
  const { ask } = await import("./ask.js");
  process.exitCode = await ask(words.join(" "), flags);
});

serverOptions(
  program
    .command("health")
    .description("Check the OpenCode server: URL, version, health.")
    .option("--json", "print the result as JSON"),
).action(async (flags) => {
  const { health } = await import("./health.js");
  process.exitCode = await health(flags);
});

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof Error && "exitCode" in error && typeof error.exitCode === "number") {
    process.stderr.write(`pocketpaw: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    throw error;
  }
}
