import { type LoadedSettings, loadSettings, type SettingName, SettingsError } from "../config/settings.js";
import { EXIT } from "./exit-codes.js";

// The backend is opened in open-backend.ts: commands that only read settings (`config`) do not
// load it, SQLite and the HTTP stack.

/** A failure the CLI reports in one line and exits on. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The options every command shares, as the command line gives them (command-line.ts). */
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
