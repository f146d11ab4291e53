import { dirname, join } from "node:path";
import type { AgentBackend } from "../agent/backend.js";
import { BackendUnavailableError, createBackend } from "../agent/registry.js";
import { type LoadedSettings, type SettingName, SettingsError, loadSettings } from "../config/settings.js";
import { SqliteSessionStore, StoreError } from "../sessions/sqlite-store.js";
import { EXIT } from "./exit-codes.js";

/** A failure the CLI reports in one line and exits on. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The options every command shares, as commander parses them. */
export interface CommonFlags {
  url?: string;
  directory?: string;
  timeoutMs?: string;
  model?: string;
  maxTurns?: string;
}

export function settingsFrom(flags: CommonFlags): LoadedSettings {
  const given: Partial<Record<SettingName, string>> = {
    opencodeBaseUrl: flags.url,
    opencodeDirectory: flags.directory,
    opencodeTimeoutMs: flags.timeoutMs,
    opencodeModel: flags.model,
    opencodeMaxTurns: flags.maxTurns,
  };
  try {
    return loadSettings({ flags: given });
  } catch (error) {
    if (error instanceof SettingsError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/** The folder of pocketpaw's own files: where config.json is looked for. */
export function homeOf(settings: LoadedSettings): string {
  return dirname(settings.configFile);
}

/** The configured backend, remembering conversations in the home folder's store. */
export function backendFrom(settings: LoadedSettings): AgentBackend {
  try {
    const store = new SqliteSessionStore(join(homeOf(settings), "pocketpaw.db"));
    return createBackend(settings.values, { store });
  } catch (error) {
    if (error instanceof BackendUnavailableError || error instanceof StoreError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}
