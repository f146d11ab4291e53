export type SettingSource = "flag" | "env" | ".env" | "config file" | "default";

/** A setting or settings file that is not valid. The message is one line, fit to show as is. */
export class SettingsError extends Error {
  override name = "SettingsError";
  constructor(
    message: string,
    /** The bad setting's name (a SettingName); undefined when a whole file is unusable. */
    readonly setting: string | undefined,
    readonly source: SettingSource,
  ) {
    super(message);
  }
}
