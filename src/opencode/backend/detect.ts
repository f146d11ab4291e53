import type { OpenCodeClient } from "../rest/client.js";
import { ApiError, AuthError, NotOpenCodeError, UnsupportedVersionError } from "../rest/errors.js";
import {
  isOpenCodeApiDoc,
  NO_HEALTH_ROUTE,
  NO_HEALTH_ROUTE_VERSION,
  OPENCODE_2,
  OPENCODE_2_VERSION,
  profileFor,
  type ServerProfile,
} from "./server-profile.js";

/**
 * What answers at the client's URL, checked now: an OpenCode release (its version from
 * `GET /global/health`), or a server speaking the seed's protocol. A release pocketpaw cannot
 * drive (too old, or OpenCode 2) is refused here, saying what to do, before any session is
 * created. Throws OpenCodeError.
 */
export async function detectServer(client: OpenCodeClient): Promise<ServerProfile> {
  let profile: ServerProfile;
  try {
    const health = await client.health();
    if (typeof health?.version !== "string")
      throw new NotOpenCodeError(client.displayUrl, "GET /global/health did not answer with a version");
    profile = profileFor(health.version, "events");
  } catch (error) {
    // OpenCode 2 always asks for a password, and refuses with its web page where 1.x sends an
    // empty or plain body (reported for 2.0.12): said as OpenCode 2, not as a password to set.
    if (error instanceof AuthError && error.contentType.includes("text/html")) {
      throw new UnsupportedVersionError(client.displayUrl, OPENCODE_2_VERSION, OPENCODE_2);
    }
    // A missing route answers 404, the web UI (HTML), or (1.0-1.2) a 500 `UnknownError`.
    const missing =
      error instanceof NotOpenCodeError || (error instanceof ApiError && (error.isNotFound || error.errorName === "UnknownError"));
    if (!missing) throw error;
    // OpenCode before 1.1 has no /global/health, but its OpenAPI document gives it away.
    const doc = await client.apiDoc().catch(() => undefined);
    if (isOpenCodeApiDoc(doc)) throw new UnsupportedVersionError(client.displayUrl, NO_HEALTH_ROUTE_VERSION, NO_HEALTH_ROUTE);
    const v2 = await openCode2Version(client);
    if (v2) throw new UnsupportedVersionError(client.displayUrl, v2, OPENCODE_2);
    // The seed documents the health check as `GET /` and the turn as an NDJSON stream: a
    // server that answers JSON there (and has no /global/health) speaks that protocol.
    const root = await client.rootHealth().catch(() => undefined);
    if (!root || typeof root !== "object" || Array.isArray(root)) throw error;
    profile = profileFor(typeof root.version === "string" ? root.version : "unknown", "ndjson");
  }
  if (!profile.support.usable) throw new UnsupportedVersionError(client.displayUrl, profile.version, profile.support.summary);
  return profile;
}

/**
 * OpenCode 2 serves its web page at /global/health and its health under /api: `GET /api/info`
 * (2.0.4 and later, with a version when it tells) or `GET /api/health` (2.0.0 – 2.0.3). Its
 * release, or "2.x", when it is one; undefined otherwise.
 */
async function openCode2Version(client: OpenCodeClient): Promise<string | undefined> {
  for (const path of ["/api/info", "/api/health"]) {
    const answer = await client.probe(path).catch(() => undefined);
    if (answer && typeof answer === "object" && !Array.isArray(answer)) {
      const version = (answer as { version?: unknown }).version;
      return typeof version === "string" && version ? version : OPENCODE_2_VERSION;
    }
  }
  return undefined;
}
