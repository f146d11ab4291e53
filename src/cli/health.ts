import { OpenCodeBackend } from "../opencode/backend.js";
import { OpenCodeError, UnsupportedVersionError } from "../opencode/errors.js";
import { type CommonFlags, settingsFrom } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { safeText } from "./safe-text.js";

/** `pocketpaw health`: is the configured OpenCode server there, and which version is it. */
export async function health(flags: CommonFlags & { json?: boolean }): Promise<number> {
  const { values } = settingsFrom(flags);
  const backend = new OpenCodeBackend({
    baseUrl: values.opencodeBaseUrl,
    username: values.opencodeUsername,
    password: values.opencodePassword,
    directory: values.opencodeDirectory,
    timeoutMs: values.opencodeTimeoutMs,
  });
  const url = backend.client.displayUrl;
  try {
    const profile = await backend.checkServer();
    const protocol = profile.protocol === "events" ? "event stream" : "NDJSON (seed protocol)";
    const { support } = profile;
    if (flags.json) {
      const answer = { url, healthy: true, version: profile.version, supported: support.usable, support: support.status, summary: support.summary, protocol: profile.protocol, quirks: profile.quirks };
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    } else process.stdout.write(`${url}\nhealthy · OpenCode ${safeText(profile.version)} · ${protocol}\n${safeText(support.summary)}\n`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof OpenCodeError)) throw error;
    // A release too old to drive still answered: say which one it is.
    const old = error instanceof UnsupportedVersionError ? { version: error.version, supported: false } : {};
    if (flags.json) process.stdout.write(`${JSON.stringify({ url, healthy: false, ...old, code: error.code, error: error.message })}\n`);
    else process.stderr.write(`${url}\nunhealthy: ${safeText(error.message)}\n`);
    return EXIT.server;
  } finally {
    await backend.close();
  }
}
