import { ApiError, OpenCodeError } from "../opencode/errors.js";
import { conversationLines } from "./conversations.js";
import { type CommonFlags, CliError, openCodeBackendFrom, settingsFrom, storeFrom } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { ago } from "./format.js";
import { colorWanted, colorsFor } from "./colors.js";
import { createRenderer } from "./render.js";
import { renderTranscript } from "./transcript.js";
import { safeText } from "./safe-text.js";

export interface SessionsFlags extends CommonFlags {
  json?: boolean;
  all?: boolean;
  deleteRemote?: boolean;
}

/** `pocketpaw sessions`: the conversations remembered for the configured server and directory (or all). */
export async function listSessions(flags: SessionsFlags): Promise<number> {
  const { backend, store } = open(flags);
  try {
    const here = backend.scope("");
    const records = store.list(flags.all ? {} : { serverUrl: here.serverUrl, directory: here.directory });
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
  } finally {
    await backend.close();
  }
}

/** `pocketpaw sessions show KEY`: the conversation's transcript, as the server stored it. */
export async function showSession(key: string, flags: SessionsFlags): Promise<number> {
  const { backend, store } = open(flags);
  try {
    const record = store.get(backend.scope(key));
    if (!record) throw notRemembered(key, backend.scope(key).serverUrl);
    let messages;
    try {
      messages = await backend.client.messages(record.sessionId);
    } catch (error) {
      if (error instanceof ApiError && (error.isNotFound || error.status === 400)) {
        process.stderr.write(`The server no longer has ${key}'s session ${record.sessionId}; \`pocketpaw sessions forget ${key}\` drops it here.\n`);
        return EXIT.failed;
      }
      if (!(error instanceof OpenCodeError)) throw error;
      process.stderr.write(`pocketpaw: ${safeText(error.message)}\n`);
      return exitCodeFor(error.code);
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ conversation: record, messages })}\n`);
      return EXIT.ok;
    }
    // All of it on stdout: `sessions show KEY > transcript.txt` keeps the whole conversation.
    const renderer = await createRenderer(process.stdout, process.stdout, { color: colorWanted(), foldThinking: true, showTime: false });
    const c = renderer.colors;
    const about = `· session ${record.sessionId} · started ${ago(record.createdAt)} · last used ${ago(record.lastUsedAt)}`;
    const model = record.model ? ` · model ${safeText(record.model)}` : "";
    renderer.line(`${c.cyan(key)} ${c.bold(`"${safeText(record.title)}"`)} ${c.dim(`${about}${model}`)}`);
    renderer.line("");
    renderTranscript(messages, renderer);
    return EXIT.ok;
  } finally {
    await backend.close();
  }
}

/** `pocketpaw sessions forget KEY [--delete-remote]`. */
export async function forgetSession(key: string, flags: SessionsFlags): Promise<number> {
  const { backend, store } = open(flags);
  try {
    const scope = backend.scope(key);
    const record = store.get(scope);
    if (!record) throw notRemembered(key, scope.serverUrl);
    if (flags.deleteRemote) {
      try {
        await backend.client.deleteSession(record.sessionId);
        process.stderr.write(`Deleted session ${record.sessionId} on the server.\n`);
      } catch (error) {
        if (!(error instanceof ApiError && error.isNotFound)) {
          if (!(error instanceof OpenCodeError)) throw error;
          // Kept here, so that the same command can be run again once the server answers.
          const why = safeText(error.message);
          const session = `session ${record.sessionId}`;
          process.stderr.write(`pocketpaw: could not delete ${session} on the server, so ${key} is still remembered: ${why}\n`);
          return exitCodeFor(error.code);
        }
        process.stderr.write(`The server had no session ${record.sessionId} any more.\n`);
      }
    }
    store.delete(scope);
    const kept = flags.deleteRemote ? "" : `; its session ${record.sessionId} stays on the server (--delete-remote deletes it)`;
    process.stderr.write(`Forgot ${key} ("${safeText(record.title)}")${kept}.\n`);
    return EXIT.ok;
  } finally {
    await backend.close();
  }
}

/** The store, and the backend that closes it: the commands need the store and the server's client. */
function open(flags: SessionsFlags) {
  const settings = settingsFrom(flags);
  const store = storeFrom(settings);
  return { store, backend: openCodeBackendFrom(settings, store) };
}

function notRemembered(key: string, serverUrl: string): CliError {
  return new CliError(`No conversation "${key}" is remembered for ${serverUrl}; \`pocketpaw sessions\` lists them.`, EXIT.usage);
}
