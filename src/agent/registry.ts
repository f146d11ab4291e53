import type { Settings } from "../config/settings.js";
import { OpenCodeBackend, type OpenCodeBackendOptions } from "../opencode/backend.js";
import type { SessionStore } from "../sessions/store.js";
import type { AgentBackend } from "./backend.js";
import { BACKENDS, isBackendName } from "./registry-info.js";

export class BackendUnavailableError extends Error {}

/** The backend named by `agentBackend` (POCKETPAW_AGENT_BACKEND), built from the settings. */
export function createBackend(
  settings: Settings,
  extra: { store?: SessionStore } & Partial<OpenCodeBackendOptions> = {},
): AgentBackend {
  const name = settings.agentBackend;
  if (!isBackendName(name)) {
    throw new BackendUnavailableError(
      `Unknown agent backend "${name}" (POCKETPAW_AGENT_BACKEND). Known backends: ${Object.keys(BACKENDS).join(", ")}.`,
    );
  }
  if (name !== "opencode") {
    throw new BackendUnavailableError(
      `The ${BACKENDS[name].displayName} backend ("${name}") is not part of this build of pocketpaw, which implements only "opencode". Set POCKETPAW_AGENT_BACKEND=opencode.`,
    );
  }
  return new OpenCodeBackend({
    baseUrl: settings.opencodeBaseUrl,
    username: settings.opencodeUsername,
    password: settings.opencodePassword,
    directory: settings.opencodeDirectory,
    model: settings.opencodeModel,
    maxTurns: settings.opencodeMaxTurns,
    timeoutMs: settings.opencodeTimeoutMs,
    ...extra,
  });
}
