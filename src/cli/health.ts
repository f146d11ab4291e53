import { BackendError } from "../agent/errors.js";
import { MemorySessionStore } from "../sessions/store.js";
import { type CommonFlags, settingsFrom } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { backendFrom } from "./open-backend.js";
import { safeText } from "./safe-text.js";

/** `pocketpaw health`: is the configured server there, and which version is it. */
export async function health(flags: CommonFlags & { json?: boolean }): Promise<number> {
  // No conversation is touched: a memory store, so that a broken store does not hide the server's health.
  const backend = backendFrom(settingsFrom(flags), { store: new MemorySessionStore() });
  const url = backend.place.serverUrl;
  try {
    const { version, protocol, support } = await backend.health();
    if (flags.json) {
      const answer = {
        url,
        healthy: true,
        version,
        supported: support.usable,
        support: support.status,
        summary: support.summary,
        protocol,
      };
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    } else {
      const how = protocol === "events" ? "event stream" : "NDJSON (seed protocol)";
      process.stdout.write(`${url}\nhealthy · OpenCode ${safeText(version)} · ${how}\n${safeText(support.summary)}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof BackendError)) throw error;
    // A release too old to drive still answered: say which one it is.
    const old = error.version ? { version: error.version, supported: false } : {};
    if (flags.json) process.stdout.write(`${JSON.stringify({ url, healthy: false, ...old, code: error.code, error: error.message })}\n`);
    else process.stderr.write(`${url}\nunhealthy: ${safeText(error.message)}\n`);
    return EXIT.server;
  } finally {
    await backend.close();
  }
}
