import { PERMISSION_REPLIES } from "../agent/events.js";
import { backends } from "./backends.js";
import { type CommandSpec, type OptionSpec, type Program, runCommandLine } from "./command-line.js";
import { safeText } from "./safe-text.js";

// pocketpaw's commands. Each command's module is imported only when that command runs, so that
// `pocketpaw backends` does not pay for the backend, SQLite and the HTTP stack; except
// `backends` itself, whose few small modules (the registry, columns, colours) nearly every
// command loads anyway: imported later, on their own, they would cost a round of the module
// loader.
// (Flags arrive untyped from the command line; each command's module declares what it reads.)
// biome-ignore lint/suspicious/noExplicitAny: see above
type Flags = any;

const SERVER_OPTIONS: OptionSpec[] = [
  { flags: "--url <url>", description: "OpenCode server URL (POCKETPAW_OPENCODE_BASE_URL, default http://localhost:4096)" },
  { flags: "--directory <path>", description: "project directory on the server (POCKETPAW_OPENCODE_DIRECTORY)" },
  { flags: "--timeout-ms <ms>", description: "timeout of each request to the server (POCKETPAW_OPENCODE_TIMEOUT_MS, default 30000)" },
];

const JSON_OPTION = (what: string): OptionSpec => ({ flags: "--json", description: `print ${what} as JSON` });

/** The options of the commands that run turns (ask, chat). */
const TURN_OPTIONS: OptionSpec[] = [
  ...SERVER_OPTIONS,
  { flags: "-s, --session <key>", description: "conversation key; the same key continues the conversation", default: "cli:default" },
  { flags: "-m, --model <provider/model>", description: "model (POCKETPAW_OPENCODE_MODEL)" },
  { flags: "-a, --agent <name>", description: "the server's agent that answers (build, plan, …); remembered for the conversation" },
  { flags: "--max-turns <n>", description: "stop after n model steps; 0 = unlimited (POCKETPAW_OPENCODE_MAX_TURNS)" },
  { flags: "--json", description: "print one AgentEvent per line (NDJSON) on stdout instead of text" },
  {
    flags: "--approve <reply>",
    description: "answer permission requests (default: ask on a terminal, else reject)",
    choices: PERMISSION_REPLIES,
  },
  {
    flags: "--spawn",
    description: "if nothing answers at a local --url, start `opencode serve` there and stop it on exit (POCKETPAW_OPENCODE_SPAWN)",
  },
];

const KEY_ARG: [string, string] = ["<key>", "the conversation key, e.g. cli:default"];

const COMMANDS: CommandSpec[] = [
  {
    name: "ask",
    description: "Send one message and stream the reply: text on stdout, tools and errors on stderr.",
    args: [["[message...]", "the message (several words are joined); with --command, the command's arguments"]],
    options: [
      ...TURN_OPTIONS,
      { flags: "-f, --file <path>", description: "attach a file (text, image or PDF) to the message; repeatable", repeatable: true },
      { flags: "-c, --command <name>", description: "run the server's command NAME (init, review, …) with the message as its arguments" },
    ],
    run: async ([words], flags: Flags) => (await import("./ask.js")).ask((words as string[]).join(" "), flags),
  },
  {
    name: "chat",
    description:
      "Talk with OpenCode in the terminal: streaming replies, tool steps, permission questions, /help for commands. Reads one message per line when stdin is not a terminal.",
    options: TURN_OPTIONS,
    run: async (_, flags: Flags) => (await import("./chat.js")).chat(flags),
  },
  {
    name: "sessions",
    description: "The conversations pocketpaw remembers (in ~/.pocketpaw/pocketpaw.db): list, show, forget.",
    defaultSubcommand: "list",
    subcommands: [
      {
        name: "list",
        description: "List the conversations of the configured server and directory, newest first (the default).",
        options: [...SERVER_OPTIONS, { flags: "--all", description: "every server's and directory's" }, JSON_OPTION("them")],
        run: async (_, flags: Flags) => (await import("./sessions.js")).listSessions(flags),
      },
      {
        name: "show",
        description: "Print a conversation's transcript, as the server stored it.",
        args: [KEY_ARG],
        options: [...SERVER_OPTIONS, JSON_OPTION("the stored messages")],
        run: async ([key], flags: Flags) => (await import("./sessions.js")).showSession(key as string, flags),
      },
      {
        name: "diff",
        description: "What the conversation's last turn changed in the project's files, as a unified diff.",
        args: [KEY_ARG],
        options: [...SERVER_OPTIONS, { flags: "--all", description: "what the whole conversation changed" }],
        run: async ([key], flags: Flags) => (await import("./sessions.js")).diffSession(key as string, flags),
      },
      {
        name: "forget",
        description: "Drop a conversation from pocketpaw's memory (its session stays on the server unless --delete-remote).",
        args: [KEY_ARG],
        options: [...SERVER_OPTIONS, { flags: "--delete-remote", description: "also delete the session on the server" }],
        run: async ([key], flags: Flags) => (await import("./sessions.js")).forgetSession(key as string, flags),
      },
    ],
  },
  {
    name: "backends",
    description: "The six agent backends of PocketPaw's comparison: capabilities, status, required key, and whether this build has them.",
    options: [JSON_OPTION("them")],
    run: (_, flags: Flags) => backends(flags),
  },
  {
    name: "config",
    description: "Every effective setting and the source it came from (flag, environment, .env, config file, default); secrets masked.",
    options: [
      ...SERVER_OPTIONS,
      { flags: "-m, --model <provider/model>", description: "model (POCKETPAW_OPENCODE_MODEL)" },
      { flags: "--max-turns <n>", description: "model steps per turn (POCKETPAW_OPENCODE_MAX_TURNS)" },
      JSON_OPTION("them"),
    ],
    run: async (_, flags: Flags) => (await import("./show-config.js")).showConfig(flags),
  },
  {
    name: "doctor",
    description:
      "Check, in order, what a turn needs (settings, URL, server, OpenCode version, credentials, model, directory, event stream, store) and say what to do about each failure.",
    options: [
      ...SERVER_OPTIONS,
      { flags: "-m, --model <provider/model>", description: "model to check (POCKETPAW_OPENCODE_MODEL)" },
      JSON_OPTION("the checks"),
    ],
    run: async (_, flags: Flags) => (await import("./doctor.js")).doctor(flags),
  },
  {
    name: "demo",
    description:
      "A short offline conversation with a real OpenCode server started here and a scripted model: streaming, a tool, a permission question, token usage. Leaves nothing running.",
    run: async () => (await import("./demo.js")).demo(),
  },
  {
    name: "health",
    description: "Check the OpenCode server: URL, version, health.",
    options: [...SERVER_OPTIONS, JSON_OPTION("the result")],
    run: async (_, flags: Flags) => (await import("./health.js")).health(flags),
  },
  {
    name: "serve",
    description: "Serve the web dashboard and the HTTP API (default http://127.0.0.1:8888) until Ctrl-C.",
    options: [
      ...SERVER_OPTIONS,
      {
        flags: "--host <address>",
        description:
          "address to listen on (POCKETPAW_DASHBOARD_HOST, default 127.0.0.1); beyond loopback POCKETPAW_DASHBOARD_TOKEN is required",
      },
      { flags: "--port <port>", description: "port to listen on (POCKETPAW_DASHBOARD_PORT, default 8888)" },
      { flags: "-m, --model <provider/model>", description: "model preselected for new turns (POCKETPAW_OPENCODE_MODEL)" },
      { flags: "--max-turns <n>", description: "stop each turn after n model steps; 0 = unlimited (POCKETPAW_OPENCODE_MAX_TURNS)" },
    ],
    run: async (_, flags: Flags) => (await import("./serve.js")).serve(flags),
  },
];

const PROGRAM: Omit<Program, "version"> = {
  name: "pocketpaw",
  description: "Talk to an OpenCode server (`opencode serve`) from the terminal, streaming what it does.",
  subcommands: COMMANDS,
  epilogue: `
Settings come from flags, then POCKETPAW_* environment variables, then .env, then
~/.pocketpaw/config.json (POCKETPAW_HOME moves that folder). The password is read only from
POCKETPAW_OPENCODE_PASSWORD (or those files), never from a flag.

Exit codes: 0 ok · 1 the turn ended with an error · 2 bad usage or settings · 3 the server is
unreachable, not OpenCode, or refuses the credentials · 130 interrupted (Ctrl-C).`,
};

/**
 * Runs the command line `argv` (node, script, arguments…); the exit code goes to process.exitCode.
 * The version comes from main.ts (version.ts: built into the bundle), which alone answers a bare --version.
 */
export async function run(argv: string[], version: string): Promise<void> {
  try {
    process.exitCode = await runCommandLine({ ...PROGRAM, version }, argv.slice(2), {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
  } catch (error) {
    if (error instanceof Error && "exitCode" in error && typeof error.exitCode === "number") {
      // The message may quote the server, a file or a spawned program.
      process.stderr.write(`pocketpaw: ${safeText(error.message)}\n`);
      process.exitCode = error.exitCode;
    } else {
      throw error;
    }
  }
}
