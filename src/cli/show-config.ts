import { existsSync } from "node:fs";
import { homeOf, SETTINGS } from "../config/settings.js";
import { colorsFor } from "./colors.js";
import { type CommonFlags, settingsFrom } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { columns } from "./format.js";

/** `pocketpaw config`: every effective setting and the source it came from; secrets masked. */
export async function showConfig(flags: CommonFlags & { json?: boolean }): Promise<number> {
  const settings = settingsFrom(flags);
  const shown = SETTINGS.map((spec) => {
    const value = settings.values[spec.name];
    return {
      setting: spec.configKey,
      env: spec.env,
      flag: spec.flag,
      value: spec.secret ? (value === "" ? "" : "***") : value,
      source: settings.sources[spec.name],
      secret: spec.secret,
      description: spec.description,
    };
  });
  const home = homeOf(settings);
  const configFileExists = existsSync(settings.configFile);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ home, configFile: settings.configFile, configFileExists, settings: shown })}\n`);
    return EXIT.ok;
  }
  const c = colorsFor();
  const rows = [
    ["SETTING", "VALUE", "SOURCE", "ENVIRONMENT"],
    ...shown.map((s) => [s.setting, s.value === "" ? '""' : String(s.value), s.source, s.env]),
  ];
  const lines = columns(rows, (text, row, column) => {
    if (row === 0) return c.dim(text);
    if (column === 0) return c.cyan(text);
    if (column === 2) return text.startsWith("default") ? c.dim(text) : c.green(text);
    if (column === 3) return c.dim(text);
    return text;
  });
  process.stdout.write(`${lines.join("\n")}\n`);
  process.stdout.write(c.dim(`home ${home} · config file ${settings.configFile}${configFileExists ? "" : " (none yet)"}\n`));
  process.stdout.write(c.dim("Sources, highest first: flag, environment (POCKETPAW_*), .env in this folder, config file, default.\n"));
  return EXIT.ok;
}
