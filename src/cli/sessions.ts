import type { Backend } from "../agent/backend.js";
import { BackendError, UnknownConversationError } from "../agent/errors.js";
import { colorsFor, colorWanted } from "./colors.js";
import { CliError, type CommonFlags, settingsFrom } from "./context.js";
import { conversationLines } from "./conversations.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { ago } from "./format.js";
import { backendFrom } from "./open-backend.js";
import { createRenderer } from "./render.js";
import { diffLines } from "./render-parts.js";
import { safeText } from "./safe-text.js";
import { renderTranscript } from "./transcript.js";

export interface SessionsFlags extends CommonFlags {
  json?: boolean;
  all?: boolean;
  deleteRemote?: boolean;
}

/** `pocketpaw sessions`: the conversations remembered for the configured server and directory (or all). */
export async function listSessions(flags: SessionsFlags): Promise<number> {
  return withBackend(flags, async (backend) => {
    const here = backend.place;
    const records = backend.list({ everywhere: flags.all ?? false });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(records)}\n`);
      return EXIT.ok;
    }
    if (records.length === 0) {
      const where = flags.all ? "" : ` for ${here.serverUrl}${here.directory ? ` (${here.directory})` : ""}; --all lists every server's`;
      process.stderr.write(`No conversations remembered${where}.\n`);
      return EXIT.ok;
    }
    const c = colorsFor();
    process.stdout.write(`${conversationLines(records, c, { withServer: flags.all ?? false }).join("\n")}\n`);
    return EXIT.ok;
  });
}

/** `pocketpaw sessions show KEY`: the conversation's transcript, as the server stored it. */
export async function showSession(key: string, flags: SessionsFlags): Promise<number> {
  return withBackend(flags, async (backend) => {
    const { conversation: record, turns, raw } = await backend.transcript(key);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ conversation: record, messages: raw })}\n`);
      return EXIT.ok;
    }
    // All of it on stdout: `sessions show KEY > transcript.txt` keeps the whole conversation.
    const renderer = await createRenderer(process.stdout, process.stdout, { color: colorWanted(), foldThinking: true, showTime: false });
    const c = renderer.colors;
    const about = `· session ${record.sessionId} · started ${ago(record.createdAt)} · last used ${ago(record.lastUsedAt)}`;
    const model = record.model ? ` · model ${safeText(record.model)}` : "";
    renderer.line(`${c.cyan(key)} ${c.bold(`"${safeText(record.title)}"`)} ${c.dim(`${about}${model}`)}`);
    renderer.line("");
    renderTranscript(turns, renderer);
    return EXIT.ok;
  });
}

/** `pocketpaw sessions diff KEY [--all]`: the files the last turn (or every turn) changed, as a unified diff on stdout. */
export async function diffSession(key: string, flags: SessionsFlags): Promise<number> {
  return withBackend(flags, async (backend) => {
    const diff = await backend.diff(key, { all: flags.all ?? false });
    if (!diff.trim()) {
      process.stderr.write(`No file changes in ${flags.all ? "" : "the last turn of "}${key}.\n`);
      return EXIT.ok;
    }
    // Colours only when stdout itself is a terminal: `sessions diff KEY > fix.patch` must apply.
    const c = colorsFor(Boolean(process.stdout.isTTY) && colorWanted());
    process.stdout.write(`${diffLines(diff, c).join("\n")}\n`);
    return EXIT.ok;
  });
}

/** `pocketpaw sessions forget KEY [--delete-remote]`. */
export async function forgetSession(key: string, flags: SessionsFlags): Promise<number> {
  return withBackend(flags, async (backend) => {
    const record = backend.get(key);
    let outcome: Awaited<ReturnType<Backend["forget"]>>;
    try {
      outcome = await backend.forget(key, { deleteRemote: flags.deleteRemote ?? false });
    } catch (error) {
      if (!(error instanceof BackendError) || !record) throw error;
      // Kept here, so that the same command can be run again once the server answers.
      const why = safeText(error.message);
      process.stderr.write(
        `pocketpaw: could not delete session ${record.sessionId} on the server, so ${key} is still remembered: ${why}\n`,
      );
      return exitCodeFor(error.code);
    }
    if (!record) return EXIT.ok;
    if (outcome === "deleted") process.stderr.write(`Deleted session ${record.sessionId} on the server.\n`);
    if (outcome === "gone") process.stderr.write(`The server had no session ${record.sessionId} any more.\n`);
    const kept = flags.deleteRemote ? "" : `; its session ${record.sessionId} stays on the server (--delete-remote deletes it)`;
    process.stderr.write(`Forgot ${key} ("${safeText(record.title)}")${kept}.\n`);
    return EXIT.ok;
  });
}

/** Runs a sessions command on the configured backend: unknown conversations and server failures said in one line. */
async function withBackend(flags: SessionsFlags, body: (backend: Backend) => Promise<number>): Promise<number> {
  const backend = backendFrom(settingsFrom(flags));
  try {
    return await body(backend);
  } catch (error) {
    if (error instanceof UnknownConversationError) throw new CliError(error.message, EXIT.usage);
    if (!(error instanceof BackendError)) throw error;
    process.stderr.write(`pocketpaw: ${safeText(error.message)}\n`);
    return exitCodeFor(error.code);
  } finally {
    await backend.close();
  }
}
