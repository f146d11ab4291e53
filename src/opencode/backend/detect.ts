import type { OpenCodeClient } from "../rest/client.js";
import { ApiError, NotOpenCodeError, UnsupportedVersionError } from "../rest/errors.js";
import { NO_HEALTH_ROUTE, NO_HEALTH_ROUTE_VERSION, type ServerProfile, isOpenCodeApiDoc, profileFor } from "./server-profile.js";

/**
 * What answers at the client's URL, checked now: an OpenCode release (its version from
 * `GET /global/health`), or a server speaking the seed's protocol. A release too old to drive is
 * refused here, with the advice to upgrade, before any session is created. Throws OpenCodeError.
 */
export async function detectServer(client: OpenCodeClient): Promise<ServerProfile> {
  let profile: ServerProfile;
  try {
    const health = await client.health();
    if (typeof health?.version !== "string") throw new NotOpenCodeError(client.displayUrl, "GET /global/health did not answer with a version");
    profile = profileFor(health.version, "events");
  } catch (error) {
    // A missing route answers 404, the web UI (HTML), or (1.0-1.2) a 500 `UnknownError`.
    const missing = error instanceof NotOpenCodeError || (error instanceof ApiError && (error.isNotFound || error.errorName === "UnknownError"));
    if (!missing) throw error;
    // OpenCode before 1.1 has no /global/health, but its OpenAPI document gives it away.
    const doc = await client.apiDoc().catch(() => undefined);
    if (isOpenCodeApiDoc(doc)) throw new UnsupportedVersionError(client.displayUrl, NO_HEALTH_ROUTE_VERSION, NO_HEALTH_ROUTE);
    // The seed documents the health check as `GET /` and the turn as an NDJSON stream: a
    // server that answers JSON there (and has no /global/health) speaks that protocol.
    const root = await client.rootHealth().catch(() => undefined);
    if (!root || typeof root !== "object" || Array.isArray(root)) throw error;
    profile = profileFor(typeof root.version === "string" ? root.version : "unknown", "ndjson");
  }
  if (!profile.support.usable) throw new UnsupportedVersionError(client.displayUrl, profile.version, profile.support.summary);
  return profile;
}
