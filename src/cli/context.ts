import { dirname, join } from "node:path";
import type { AgentBackend } from "../agent/backend.js";
import { BackendUnavailableError, createBackend } from "../agent/registry.js";
import { type LoadedSettings, type SettingName, SettingsError, loadSettings } from "../config/settings.js";
import { OpenCodeBackend } from "../opencode/backend.js";
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
  spawn?: boolean;
  /** `serve`'s listening address and port. */
  host?: string;
  port?: string;
}

/** The flags as settings, by name (undefined = not given). */
export function settingFlags(flags: CommonFlags): Partial<Record<SettingName, string>> {
  return {
    opencodeBaseUrl: flags.url,
    opencodeDirectory: flags.directory,
    opencodeTimeoutMs: flags.timeoutMs,
    opencodeModel: flags.model,
    opencodeMaxTurns: flags.maxTurns,
    opencodeSpawn: flags.spawn ? "1" : undefined,
    dashboardHost: flags.host,
    dashboardPort: flags.port,
  };
}

export function settingsFrom(flags: CommonFlags): LoadedSettings {
  try {
    return loadSettings({ flags: settingFlags(flags) });
  } catch (error) {
    if (error instanceof SettingsError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/** The folder of pocketpaw's own files: config.json, the conversation store, the chat's history. */
export function homeOf(settings: LoadedSettings): string {
  return dirname(settings.configFile);
}

/** The conversation store in the home folder. */
export function storeFrom(settings: LoadedSettings): SqliteSessionStore {
  try {
    return new SqliteSessionStore(join(homeOf(settings), "pocketpaw.db"));
  } catch (error) {
    if (error instanceof StoreError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/** The configured backend, remembering conversations in the home folder's store. */
export function backendFrom(settings: LoadedSettings, store: SqliteSessionStore = storeFrom(settings)): AgentBackend {
  try {
    return createBackend(settings.values, { store });
  } catch (error) {
    store.close();
    if (error instanceof BackendUnavailableError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/**
 * The backend for commands that also talk to the OpenCode server directly (transcripts, /stop,
 * doctor): this build has no other backend, and createBackend says so for any other name.
 */
export function openCodeBackendFrom(settings: LoadedSettings, store: SqliteSessionStore = storeFrom(settings)): OpenCodeBackend {
  const backend = backendFrom(settings, store);
  if (backend instanceof OpenCodeBackend) return backend;
  void backend.close();
  throw new CliError(`This command needs the OpenCode backend; set POCKETPAW_AGENT_BACKEND=opencode.`, EXIT.usage);
}
