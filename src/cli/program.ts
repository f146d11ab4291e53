import { Command, CommanderError, Option } from "commander";
import { PERMISSION_REPLIES } from "../agent/events.js";
import { EXIT } from "./exit-codes.js";
import { safeText } from "./safe-text.js";
import { VERSION } from "./version.js";

// The command line, as commander reads it. Each command's module is imported only when that
// command runs: `pocketpaw backends` must not pay for the backend, SQLite and the HTTP stack.

function serverOptions(command: Command): Command {
  return command
    .option("--url <url>", "OpenCode server URL (POCKETPAW_OPENCODE_BASE_URL, default http://localhost:4096)")
    .option("--directory <path>", "project directory on the server (POCKETPAW_OPENCODE_DIRECTORY)")
    .option("--timeout-ms <ms>", "timeout of each request to the server (POCKETPAW_OPENCODE_TIMEOUT_MS, default 30000)");
}

const program = new Command()
  .name("pocketpaw")
  .description("Talk to an OpenCode server (`opencode serve`) from the terminal, streaming what it does.")
  .version(VERSION, "-V, --version")
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

/** The options of the commands that run turns (ask, chat). */
function turnOptions(command: Command): Command {
  return serverOptions(command)
    .option("-s, --session <key>", "conversation key; the same key continues the conversation", "cli:default")
    .option("-m, --model <provider/model>", "model (POCKETPAW_OPENCODE_MODEL)")
    .option("-a, --agent <name>", "the server's agent that answers (build, plan, …); remembered for the conversation")
    .option("--max-turns <n>", "stop after n model steps; 0 = unlimited (POCKETPAW_OPENCODE_MAX_TURNS)")
    .option("--json", "print one AgentEvent per line (NDJSON) on stdout instead of text")
    .addOption(
      new Option(
        "--approve <reply>",
        `answer permission requests: ${PERMISSION_REPLIES.join(", ")} (default: ask on a terminal, else reject)`,
      ).choices(PERMISSION_REPLIES),
    )
    .option("--spawn", "if nothing answers at a local --url, start `opencode serve` there and stop it on exit (POCKETPAW_OPENCODE_SPAWN)");
}

turnOptions(
  program
    .command("ask")
    .description("Send one message and stream the reply: text on stdout, tools and errors on stderr.")
    .argument("[message...]", "the message (several words are joined); with --command, the command's arguments")
    .option("-f, --file <path>", "attach a file (text, image or PDF) to the message; repeatable", (path: string, paths: string[] = []) => [
      ...paths,
      path,
    ])
    .option("-c, --command <name>", "run the server's command NAME (init, review, …) with the message as its arguments"),
).action(async (words: string[], flags) => {
  const { ask } = await import("./ask.js");
  process.exitCode = await ask(words.join(" "), flags);
});

turnOptions(
  program
    .command("chat")
    .description(
      "Talk with OpenCode in the terminal: streaming replies, tool steps, permission questions, /help for commands. Reads one message per line when stdin is not a terminal.",
    ),
).action(async (flags) => {
  const { chat } = await import("./chat.js");
  process.exitCode = await chat(flags);
});

const sessions = program
  .command("sessions")
  .description("The conversations pocketpaw remembers (in ~/.pocketpaw/pocketpaw.db): list, show, forget.");
serverOptions(
  sessions
    .command("list", { isDefault: true })
    .description("List the conversations of the configured server and directory, newest first.")
    .option("--all", "every server's and directory's")
    .option("--json", "print them as JSON"),
).action(async (flags) => {
  const { listSessions } = await import("./sessions.js");
  process.exitCode = await listSessions(flags);
});
serverOptions(
  sessions
    .command("show")
    .description("Print a conversation's transcript, as the server stored it.")
    .argument("<key>", "the conversation key, e.g. cli:default")
    .option("--json", "print the stored messages as JSON"),
).action(async (key: string, flags) => {
  const { showSession } = await import("./sessions.js");
  process.exitCode = await showSession(key, flags);
});
serverOptions(
  sessions
    .command("diff")
    .description("What the conversation's last turn changed in the project's files, as a unified diff.")
    .argument("<key>", "the conversation key, e.g. cli:default")
    .option("--all", "what the whole conversation changed"),
).action(async (key: string, flags) => {
  const { diffSession } = await import("./sessions.js");
  process.exitCode = await diffSession(key, flags);
});
serverOptions(
  sessions
    .command("forget")
    .description("Drop a conversation from pocketpaw's memory (its session stays on the server unless --delete-remote).")
    .argument("<key>", "the conversation key, e.g. cli:default")
    .option("--delete-remote", "also delete the session on the server"),
).action(async (key: string, flags) => {
  const { forgetSession } = await import("./sessions.js");
  process.exitCode = await forgetSession(key, flags);
});

program
  .command("backends")
  .description("The six agent backends of PocketPaw's comparison: capabilities, status, required key, and whether this build has them.")
  .option("--json", "print them as JSON")
  .action(async (flags) => {
    const { backends } = await import("./backends.js");
    process.exitCode = await backends(flags);
  });

serverOptions(
  program
    .command("config")
    .description("Every effective setting and the source it came from (flag, environment, .env, config file, default); secrets masked.")
    .option("-m, --model <provider/model>", "model (POCKETPAW_OPENCODE_MODEL)")
    .option("--max-turns <n>", "model steps per turn (POCKETPAW_OPENCODE_MAX_TURNS)")
    .option("--json", "print them as JSON"),
).action(async (flags) => {
  const { showConfig } = await import("./show-config.js");
  process.exitCode = await showConfig(flags);
});

serverOptions(
  program
    .command("doctor")
    .description(
      "Check, in order, what a turn needs (settings, URL, server, OpenCode version, credentials, model, directory, event stream, store) and say what to do about each failure.",
    )
    .option("-m, --model <provider/model>", "model to check (POCKETPAW_OPENCODE_MODEL)")
    .option("--json", "print the checks as JSON"),
).action(async (flags) => {
  const { doctor } = await import("./doctor.js");
  process.exitCode = await doctor(flags);
});

program
  .command("demo")
  .description(
    "A short offline conversation with a real OpenCode server started here and a scripted model: streaming, a tool, a permission question, token usage. Leaves nothing running.",
  )
  .action(async () => {
    const { demo } = await import("./demo.js");
    process.exitCode = await demo();
  });

serverOptions(
  program.command("health").description("Check the OpenCode server: URL, version, health.").option("--json", "print the result as JSON"),
).action(async (flags) => {
  const { health } = await import("./health.js");
  process.exitCode = await health(flags);
});

serverOptions(
  program
    .command("serve")
    .description("Serve the web dashboard and the HTTP API (default http://127.0.0.1:8888) until Ctrl-C.")
    .option(
      "--host <address>",
      "address to listen on (POCKETPAW_DASHBOARD_HOST, default 127.0.0.1); beyond loopback POCKETPAW_DASHBOARD_TOKEN is required",
    )
    .option("--port <port>", "port to listen on (POCKETPAW_DASHBOARD_PORT, default 8888)")
    .option("-m, --model <provider/model>", "model preselected for new turns (POCKETPAW_OPENCODE_MODEL)")
    .option("--max-turns <n>", "stop each turn after n model steps; 0 = unlimited (POCKETPAW_OPENCODE_MAX_TURNS)"),
).action(async (flags) => {
  const { serve } = await import("./serve.js");
  process.exitCode = await serve(flags);
});

/** Runs the command line `argv` (node, script, arguments…); the exit code goes to process.exitCode. */
export async function run(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (error instanceof Error && "exitCode" in error && typeof error.exitCode === "number") {
      // The message may quote the server, a file or a spawned program.
      process.stderr.write(`pocketpaw: ${safeText(error.message)}\n`);
      process.exitCode = error.exitCode;
    } else {
      throw error;
    }
  }
}
