import type { CommandInfo } from "../../agent/backend.js";
import { BackendError } from "../../agent/errors.js";
import { columns } from "../format.js";
import { safeText } from "../safe-text.js";
import type { ChatAction, ChatCommand, ChatContext } from "./context.js";
import { CONVERSATION_COMMANDS } from "./conversation-commands.js";
import { TURN_COMMANDS } from "./turn-commands.js";

export type { ChatAction, ChatContext, ChatState } from "./context.js";

/** The server's commands, asked once per chat; undefined (and said) when the server cannot be asked. */
async function serverCommands(ctx: ChatContext): Promise<CommandInfo[] | undefined> {
  if (ctx.serverCommands) return ctx.serverCommands;
  try {
    ctx.serverCommands = await ctx.backend.commands();
    return ctx.serverCommands;
  } catch (error) {
    if (!(error instanceof BackendError)) throw error;
    ctx.say(`Could not ask the server for its commands: ${safeText(error.message)}`);
    return undefined;
  }
}

const COMMANDS: ChatCommand[] = [
  ...CONVERSATION_COMMANDS,
  ...TURN_COMMANDS,
  {
    name: "commands",
    args: "",
    help: "list the server's commands (/init, /review, custom ones): /NAME ARGUMENTS runs one",
    async run(ctx) {
      const commands = await serverCommands(ctx);
      if (!commands) return;
      if (commands.length === 0) return ctx.say("The server has no commands.");
      const c = ctx.renderer.colors;
      const rows = commands.map((command) => {
        const hidden = ownCommand(command.name) ? ` (hidden by pocketpaw's own /${command.name})` : "";
        return [`/${command.name}`, `${command.description}${hidden}`].map(safeText);
      });
      for (const line of columns(rows, (text, _row, column) => (column === 0 ? c.bold(text) : c.dim(text)))) ctx.say(`  ${line}`);
      ctx.say(c.dim("  /NAME ARGUMENTS runs one in this conversation."));
    },
  },
  {
    name: "output",
    args: "[N]",
    help: "the whole output of tool step #N (default: the last one)",
    run(ctx, arg) {
      const n = arg ? Number(arg.replace(/^#/, "")) : undefined;
      if (n !== undefined && !(Number.isInteger(n) && n > 0)) return ctx.say("/output takes a tool step's number, e.g. /output 2.");
      const found = ctx.renderer.toolOutput(n);
      if (!found) return ctx.say(n === undefined ? "No tool has run in this chat yet." : `There is no tool step #${n}.`);
      ctx.say(ctx.renderer.colors.dim(`── output of #${found.n} ──`));
      ctx.say(found.output.replace(/\n$/, ""));
    },
  },
  {
    name: "thinking",
    args: "",
    help: "the whole text of the model's last reasoning",
    run(ctx) {
      const { lastThinking, colors } = ctx.renderer;
      ctx.say(lastThinking ? colors.dim(lastThinking) : "The model has not shown any reasoning in this chat yet.");
    },
  },
  {
    name: "help",
    args: "",
    help: "this list",
    run(ctx) {
      const c = ctx.renderer.colors;
      const rows = COMMANDS.map((command) => [`/${command.name}${command.args ? ` ${command.args}` : ""}`, command.help]);
      for (const line of columns(rows, (text, _row, column) => (column === 0 ? c.bold(text) : c.dim(text)))) ctx.say(`  ${line}`);
      ctx.say(c.dim("  /NAME ARGUMENTS runs the server's command NAME (/commands lists them)."));
      ctx.say(c.dim("  Lines typed while a turn runs are queued and sent when it ends."));
      ctx.say(c.dim("  Ctrl-C stops a turn (twice: quits at once); on an empty prompt, Ctrl-C or Ctrl-D leaves."));
      ctx.say(c.dim("  A message that starts with / is sent as is when written with two: //etc/hosts → /etc/hosts."));
    },
  },
  { name: "exit", args: "", help: "leave the chat (also /quit)", run: () => "exit" },
];

function ownCommand(name: string): ChatCommand | undefined {
  const lower = name.toLowerCase();
  return COMMANDS.find((c) => c.name === (lower === "quit" ? "exit" : lower));
}

/**
 * A line starting with "/" (but not "//", which is a message): pocketpaw's own command, run; else
 * one of the server's commands, to be run as a turn; else said to be unknown.
 */
export async function runChatCommand(ctx: ChatContext, line: string): Promise<ChatAction> {
  const body = line.slice(1).trim();
  const word = body.split(/\s/, 1)[0] ?? "";
  const arg = body.slice(word.length).trim();
  const command = ownCommand(word);
  if (command) return (await command.run(ctx, arg)) ?? undefined;
  const server = word ? await serverCommands(ctx) : undefined;
  if (server?.some((c) => c.name === word)) return { command: word, args: arg };
  ctx.say(`Unknown command /${safeText(word)}: /help lists pocketpaw's commands, /commands the server's.`);
  return undefined;
}

/** Whether a typed line is a command; "//…" is a message starting with "/". */
export function isChatCommand(line: string): boolean {
  return line.startsWith("/") && !line.startsWith("//");
}
