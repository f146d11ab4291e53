import { join } from "node:path";
import { DEFAULT_SESSION_KEY, type RunOptions } from "../agent/backend.js";
import { BackendError } from "../agent/errors.js";
import type { PermissionAnswer } from "../agent/run-driver.js";
import { homeOf, type LoadedSettings } from "../config/settings.js";
import { approveFlag } from "./ask.js";
import { type ChatContext, isChatCommand, runChatCommand } from "./chat/commands.js";
import { colorWanted } from "./colors.js";
import { type CommonFlags, settingsFrom } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { ago } from "./format.js";
import { type LineReader, PipeLineReader, TerminalLineReader } from "./line-reader.js";
import { backendFrom } from "./open-backend.js";
import { createRenderer } from "./render.js";
import { safeText } from "./safe-text.js";
import { checkAgent } from "./server-names.js";
import { spawnIfWanted } from "./spawn.js";
import { exitCodeOf, runTurn } from "./turn.js";
import type { TypeAhead } from "./turn-keys.js";

export interface ChatFlags extends CommonFlags {
  session?: string;
  json?: boolean;
  approve?: string;
  agent?: string;
}

/**
 * `pocketpaw chat`: a conversation at the terminal. On a terminal: line editing and history, the
 * reply streaming, tools and reasoning on one line each, permission requests and questions
 * inline, lines typed during a turn queued for after it, Ctrl-C stopping the turn. On a pipe: one
 * message per line, plain output (or NDJSON with --json), and the exit code of the first turn
 * that failed.
 */
export async function chat(flags: ChatFlags): Promise<number> {
  const answer = approveFlag(flags.approve);
  const settings = settingsFrom(flags);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const spawned = await spawnIfWanted(settings, process.stderr);
  try {
    return await talk(flags, settings, interactive, answer);
  } finally {
    await spawned?.stop();
  }
}

async function talk(
  flags: ChatFlags,
  settings: LoadedSettings,
  interactive: boolean,
  answer: PermissionAnswer | undefined,
): Promise<number> {
  const backend = backendFrom(settings);
  let input: LineReader | undefined;
  try {
    const color = colorWanted();
    const renderer = await createRenderer(process.stdout, process.stderr, {
      color,
      foldThinking: true,
      numberTools: true,
      ...(interactive && !flags.json ? { spinnerStream: process.stderr } : {}),
    });
    const c = renderer.colors;
    const key = flags.session ?? DEFAULT_SESSION_KEY;
    const ctx: ChatContext = {
      state: { key, model: settings.values.opencodeModel, agent: flags.agent || backend.get(key)?.agent || "", attachments: [] },
      backend,
      renderer,
      say: (text) => renderer.line(text),
    };

    let version: string;
    try {
      version = (await backend.health()).version;
    } catch (error) {
      if (!(error instanceof BackendError)) throw error;
      process.stderr.write(`pocketpaw: ${safeText(error.message)}\n`);
      return exitCodeFor(error.code);
    }
    if (flags.agent) {
      const problem = await checkAgent(backend, flags.agent);
      if (problem) {
        process.stderr.write(`pocketpaw: ${problem}\n`);
        return EXIT.usage;
      }
      backend.setAgent(key, flags.agent);
    }
    if (interactive) {
      const record = backend.get(key);
      const where = record ? `continuing "${safeText(record.title)}" (last used ${ago(record.lastUsedAt)})` : "a new conversation";
      const agent = ctx.state.agent ? ` · agent ${c.bold(safeText(ctx.state.agent))}` : "";
      ctx.say(`${c.bold("pocketpaw chat")} ${c.dim(`· OpenCode ${safeText(version)} at ${backend.place.serverUrl}`)}`);
      ctx.say(`${c.cyan(key)}: ${where}${ctx.state.model ? ` · model ${ctx.state.model}` : ""}${agent}`);
      ctx.say(c.dim("/help lists the commands · Ctrl-C stops a turn · Ctrl-D leaves"));
    }

    const terminal = interactive
      ? new TerminalLineReader(process.stdin, process.stderr, join(homeOf(settings), "chat_history"))
      : undefined;
    input = terminal ?? new PipeLineReader(process.stdin);
    const lines = new ChatLines(input, interactive, (line) => ctx.say(c.dim(`queued: ${safeText(line)}`)));
    if (terminal) terminal.overflow = (more, partial, ended) => lines.queue(more, partial, ended);
    const prompt = () => `${c.cyan(ctx.state.key)}${ctx.state.agent ? c.dim(` · ${safeText(ctx.state.agent)}`) : ""} ${c.dim("›")} `;
    let code: number = EXIT.ok;
    for (;;) {
      const line = await lines.next(prompt(), ctx.say);
      if (line === undefined) break;
      const text = line.trim();
      if (!text) continue;
      const action = isChatCommand(text) ? await runChatCommand(ctx, text) : undefined;
      if (action === "exit") break;
      if (isChatCommand(text) && !action) continue;
      const command = typeof action === "object" ? action : undefined;
      const { state } = ctx;
      const run: Omit<RunOptions, "signal"> = {
        sessionKey: state.key,
        ...(state.model ? { model: state.model } : {}),
        ...(state.agent ? { agent: state.agent } : {}),
        // Files go with the next message; a server command runs without them (they wait for a message).
        ...(command ? { command: command.command } : state.attachments.length ? { files: state.attachments } : {}),
      };
      if (!command) state.attachments = [];
      const result = await runTurn({
        backend,
        message: command ? command.args : text.startsWith("//") ? text.slice(1) : text,
        run,
        out: process.stdout,
        err: process.stderr,
        renderer: flags.json ? undefined : renderer,
        ...(answer ? { answer } : {}),
        ...(interactive ? { terminal: process.stdin, typeAhead: lines.typeAhead } : {}),
      });
      if (interactive) {
        process.stderr.write("\n");
        if (result.stopped) lines.holdQueue();
        continue;
      }
      if (code === EXIT.ok) code = exitCodeOf(result, exitCodeFor);
      // Ctrl-C on a pipeline means stop, not "go on with the next line".
      if (result.stopped) return EXIT.interrupted;
    }
    return code;
  } finally {
    input?.close();
    await backend.close();
  }
}

/**
 * The chat's next line: one typed ahead during the last turn (sent as if typed now, shown after
 * the prompt), else one read at the prompt, starting with whatever was typed ahead without Enter.
 * After a turn stopped with Ctrl-C the queued lines are not sent by themselves: each waits in the
 * prompt, to be sent with Enter, edited, or cleared with Ctrl-C.
 */
class ChatLines {
  readonly typeAhead: TypeAhead;
  private held = false;

  constructor(
    private readonly input: LineReader,
    interactive: boolean,
    onQueued: (line: string) => void,
  ) {
    this.typeAhead = { lines: [], partial: "", onQueued: interactive ? onQueued : () => {} };
  }

  /** Lines that came in with the one read at the prompt: queued as if typed during the turn. */
  queue(more: string[], partial: string, ended: boolean): void {
    for (const line of more.filter((l) => l.trim())) {
      this.typeAhead.lines.push(line);
      this.typeAhead.onQueued(line);
    }
    this.typeAhead.partial += partial;
    if (ended) this.typeAhead.ended = true;
  }

  /** After Ctrl-C the person takes over: queued lines wait in the prompt, a typed-ahead Ctrl-D is forgotten. */
  holdQueue(): void {
    if (this.typeAhead.lines.length) this.held = true;
    this.typeAhead.ended = false;
  }

  async next(prompt: string, say: (text: string) => void): Promise<string | undefined> {
    const queued = this.typeAhead.lines.shift();
    if (queued !== undefined && !this.held) {
      say(`${prompt}${safeText(queued)}`);
      return queued;
    }
    if (queued !== undefined) return this.input.read(prompt, queued);
    this.held = false;
    if (this.typeAhead.ended) return undefined;
    const partial = this.typeAhead.partial;
    this.typeAhead.partial = "";
    return this.input.read(prompt, partial);
  }
}
