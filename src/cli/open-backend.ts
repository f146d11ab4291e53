import type { Backend } from "../agent/backend.js";
import { BackendUnavailableError, type OpenBackendOptions, openBackend } from "../app/backend.js";
import type { LoadedSettings } from "../config/settings.js";
import { StoreError } from "../sessions/sqlite-store.js";
import { CliError } from "./context.js";
import { EXIT } from "./exit-codes.js";

/** The configured backend, remembering conversations in the home folder's store (which it owns). */
export function backendFrom(settings: LoadedSettings, options?: OpenBackendOptions): Backend {
  try {
    return openBackend(settings, options);
  } catch (error) {
    if (error instanceof BackendUnavailableError || error instanceof StoreError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}
