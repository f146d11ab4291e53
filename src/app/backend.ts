import { join } from "node:path";
import type { Backend } from "../agent/backend.js";
import { BACKENDS, isBackendName } from "../agent/registry.js";
import { homeOf, type LoadedSettings } from "../config/settings.js";
import { OpenCodeBackend, type OpenCodeBackendOptions } from "../opencode/backend/backend.js";
import { SqliteSessionStore } from "../sessions/sqlite-store.js";
import type { SessionStore } from "../sessions/store.js";

/**
 * The composition root: the one module that knows which class implements the configured backend.
 * Fronts (cli, web, channels) get a `Backend` from here and talk to the contract only.
 */

export class BackendUnavailableError extends Error {}

export interface OpenBackendOptions extends Partial<OpenCodeBackendOptions> {
  /** Where conversations are remembered; default: `pocketpaw.db` in pocketpaw's home folder. The backend owns it and closes it. */
  store?: SessionStore;
}

/** The conversation store in the home folder (throws StoreError). */
export function openStore(settings: LoadedSettings): SqliteSessionStore {
  return new SqliteSessionStore(join(homeOf(settings), "pocketpaw.db"));
}

/**
 * The backend named by `agent_backend` (POCKETPAW_AGENT_BACKEND), built from the settings.
 * Throws BackendUnavailableError for a backend this build lacks, StoreError when the store cannot be opened.
 */
export function openBackend(settings: LoadedSettings, options: OpenBackendOptions = {}): Backend {
  const { values, sources } = settings;
  const name = values.agentBackend;
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
    baseUrl: values.opencodeBaseUrl,
    username: values.opencodeUsername,
    password: values.opencodePassword,
    directory: values.opencodeDirectory,
    model: values.opencodeModel,
    modelSource: sources.opencodeModel,
    maxTurns: values.opencodeMaxTurns,
    timeoutMs: values.opencodeTimeoutMs,
    ...options,
    store: options.store ?? openStore(settings),
  });
}
