import type { Backend } from "../agent/backend.js";
import { BackendError } from "../agent/errors.js";
import { parseModel } from "../config/settings.js";
import { conversationLines, nextConversationKey } from "./conversations.js";
import { ago, columns } from "./format.js";
import type { TerminalRenderer } from "./render.js";
import { safeText } from "./safe-text.js";

/** What the chat is on: the conversation and the model its next turns use ("" = the server's choice). */
export interface ChatState {
  key: string;
  model: string;
}

export interface ChatContext {
  state: ChatState;
  backend: Backend;
  renderer: TerminalRenderer;
  /** A line for the person (stderr: stdout carries only replies). */
  say(text: string): void;
}

interface Command {
  name: string;
  args: string;
  help: string;
  run(ctx: ChatContext, arg: string): Promise<"exit" | void> | "exit" | void;
}

const COMMANDS: Command[] = [
  {
    name: "new",
    args: "[KEY]",
    help: "start a new conversation (KEY defaults to the next cli:N)",
    run(ctx, arg) {
      const key = arg || nextConversationKey(ctx.backend.list());
      if (ctx.backend.get(key)) return say(ctx, `${key} already exists: /switch ${key} continues it.`);
      ctx.state.key = key;
      say(ctx, `New conversation ${ctx.renderer.colors.cyan(key)}: it starts with your next message.`);
    },
  },
  {
    name: "sessions",
    args: "",
    help: "list the conversations remembered for this server and directory",
    run(ctx) {
      const records = ctx.backend.list();
      if (records.length === 0) return say(ctx, "No conversations yet: the first message starts one.");
      for (const line of conversationLines(records, ctx.renderer.colors, { current: ctx.state.key })) say(ctx, line);
    },
  },
  {
    name: "switch",
    args: "KEY",
    help: "continue conversation KEY (as listed by /sessions; `2` means cli:2)",
    run(ctx, arg) {
      if (!arg) return say(ctx, "Which one? /switch KEY; /sessions lists them.");
      const known = new Set(ctx.backend.list().map((r) => r.key));
      const key = !known.has(arg) && known.has(`cli:${arg}`) ? `cli:${arg}` : arg;
      ctx.state.key = key;
      const record = ctx.backend.get(key);
      const c = ctx.renderer.colors;
      if (record) say(ctx, `Switched to ${c.cyan(key)}: "${safeText(record.title)}" (last used ${ago(record.lastUsedAt)}).`);
      else say(ctx, `${c.cyan(key)} is a new conversation: it starts with your next message.`);
    },
  },
  {
    name: "model",
    args: "[PROVIDER/MODEL|default]",
    help: "show or change the model of the next turns",
    async run(ctx, arg) {
      const c = ctx.renderer.colors;
      if (!arg) return say(ctx, `Model: ${ctx.state.model || "the server's default"}. /model PROVIDER/MODEL changes it.`);
      if (arg === "default") {
        ctx.state.model = "";
        return say(ctx, "Model: the server's default from now on.");
      }
      if (!parseModel(arg)) return say(ctx, `"${arg}" is not a model: expected provider/model, e.g. anthropic/claude-sonnet-4.`);
      try {
        const problem = await ctx.backend.checkModel(arg);
        if (problem) return say(ctx, safeText(problem));
      } catch (error) {
        if (!(error instanceof BackendError)) throw error;
        say(ctx, c.dim(`(Could not check the model on the server: ${safeText(error.message)})`));
      }
      ctx.state.model = arg;
      ctx.backend.setModel(ctx.state.key, arg);
      say(ctx, `Model: ${c.bold(arg)} from the next turn on.`);
    },
  },
  {
    name: "stop",
    args: "",
    help: "stop whatever the server still runs in this conversation (e.g. left by another client)",
    async run(ctx) {
      const record = ctx.backend.get(ctx.state.key);
      try {
        const outcome = await ctx.backend.stopRemote(ctx.state.key);
        if (outcome === "no_session" || !record) return say(ctx, "Nothing to stop: this conversation has no OpenCode session yet.");
        if (outcome === "idle") return say(ctx, `Nothing is running in ${ctx.state.key} (session ${record.sessionId}).`);
        say(ctx, `Stopped the run of ${ctx.state.key} on the server (session ${record.sessionId}).`);
      } catch (error) {
        if (!(error instanceof BackendError)) throw error;
        say(ctx, `Could not stop it: ${safeText(error.message)}`);
      }
    },
  },
  {
    name: "output",
    args: "[N]",
    help: "the whole output of tool step #N (default: the last one)",
    run(ctx, arg) {
      const n = arg ? Number(arg.replace(/^#/, "")) : undefined;
      if (n !== undefined && !(Number.isInteger(n) && n > 0)) return say(ctx, `/output takes a tool step's number, e.g. /output 2.`);
      const found = ctx.renderer.toolOutput(n);
      if (!found) return say(ctx, n === undefined ? "No tool has run in this chat yet." : `There is no tool step #${n}.`);
      say(ctx, ctx.renderer.colors.dim(`── output of #${found.n} ──`));
      say(ctx, found.output.replace(/\n$/, ""));
    },
  },
  {
    name: "thinking",
    args: "",
    help: "the whole text of the model's last reasoning",
    run(ctx) {
      say(ctx, ctx.renderer.lastThinking ? ctx.renderer.colors.dim(ctx.renderer.lastThinking) : "The model has not shown any reasoning in this chat yet.");
    },
  },
  {
    name: "help",
    args: "",
    help: "this list",
    run(ctx) {
      const c = ctx.renderer.colors;
      const rows = COMMANDS.map((command) => [`/${command.name}${command.args ? ` ${command.args}` : ""}`, command.help]);
      for (const line of columns(rows, (text, _row, column) => (column === 0 ? c.bold(text) : c.dim(text)))) say(ctx, `  ${line}`);
      say(ctx, c.dim("  Ctrl-C stops a turn (twice: quits at once); on an empty prompt, Ctrl-C or Ctrl-D leaves."));
      say(ctx, c.dim("  A message that starts with / is sent as is when written with two: //etc/hosts → /etc/hosts."));
    },
  },
  { name: "exit", args: "", help: "leave the chat (also /quit)", run: () => "exit" },
];

/** A line starting with "/" (but not "//", which is a message): the command, run. */
export async function runChatCommand(ctx: ChatContext, line: string): Promise<"exit" | void> {
  const [word = "", ...rest] = line.slice(1).trim().split(/\s+/);
  const name = word.toLowerCase() === "quit" ? "exit" : word.toLowerCase();
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return say(ctx, `Unknown command /${word}: /help lists them.`);
  return command.run(ctx, rest.join(" "));
}

/** Whether a typed line is a command; "//…" is a message starting with "/". */
export function isChatCommand(line: string): boolean {
  return line.startsWith("/") && !line.startsWith("//");
}

function say(ctx: ChatContext, text: string): void {
  ctx.say(text);
}

