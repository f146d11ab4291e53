import { join } from "node:path";
import { DEFAULT_SESSION_KEY } from "../agent/backend.js";
import { BackendError } from "../agent/errors.js";
import { type LoadedSettings, homeOf } from "../config/settings.js";
import { approveFlag } from "./ask.js";
import { type ChatContext, isChatCommand, runChatCommand } from "./chat-commands.js";
import { type CommonFlags, backendFrom, settingsFrom } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { ago } from "./format.js";
import { type LineReader, PipeLineReader, TerminalLineReader } from "./line-reader.js";
import { colorWanted } from "./colors.js";
import { createRenderer } from "./render.js";
import { spawnIfWanted } from "./spawn.js";
import type { PermissionAnswer } from "../agent/run-driver.js";
import { safeText } from "./safe-text.js";
import { exitCodeOf, runTurn } from "./turn.js";

export interface ChatFlags extends CommonFlags {
  session?: string;
  json?: boolean;
  approve?: string;
}

/**
 * `pocketpaw chat`: a conversation at the terminal. On a terminal: line editing and history, the
 * reply streaming, tools and reasoning on one line each, permission questions inline, Ctrl-C
 * stopping the turn. On a pipe: one message per line, plain output (or NDJSON with --json), and
 * the exit code of the first turn that failed.
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

async function talk(flags: ChatFlags, settings: LoadedSettings, interactive: boolean, answer: PermissionAnswer | undefined): Promise<number> {
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
    const ctx: ChatContext = {
      state: { key: flags.session ?? DEFAULT_SESSION_KEY, model: settings.values.opencodeModel },
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
    if (interactive) {
      const record = backend.get(ctx.state.key);
      const where = record ? `continuing "${safeText(record.title)}" (last used ${ago(record.lastUsedAt)})` : "a new conversation";
      ctx.say(`${c.bold("pocketpaw chat")} ${c.dim(`· OpenCode ${safeText(version)} at ${backend.place.serverUrl}`)}`);
      ctx.say(`${c.cyan(ctx.state.key)}: ${where}${ctx.state.model ? ` · model ${ctx.state.model}` : ""}`);
      ctx.say(c.dim("/help lists the commands · Ctrl-C stops a turn · Ctrl-D leaves"));
    }

    input = interactive
      ? new TerminalLineReader(process.stdin, process.stderr, join(homeOf(settings), "chat_history"))
      : new PipeLineReader(process.stdin);
    let code: number = EXIT.ok;
    for (;;) {
      const line = await input.read(`${c.cyan(ctx.state.key)} ${c.dim("›")} `);
      if (line === undefined) break;
      const text = line.trim();
      if (!text) continue;
      if (isChatCommand(text)) {
        if ((await runChatCommand(ctx, text)) === "exit") break;
        continue;
      }
      const result = await runTurn({
        backend,
        message: text.startsWith("//") ? text.slice(1) : text,
        run: { sessionKey: ctx.state.key, ...(ctx.state.model ? { model: ctx.state.model } : {}) },
        out: process.stdout,
        err: process.stderr,
        renderer: flags.json ? undefined : renderer,
        ...(answer ? { answer } : {}),
        ...(interactive ? { terminal: process.stdin } : {}),
      });
      if (interactive) {
        process.stderr.write("\n");
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
