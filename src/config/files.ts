import { readFileSync, statSync } from "node:fs";
import { parseEnv } from "node:util";
import { type SettingSource, SettingsError } from "./settings-error.js";
import { configKeyWarnings, dotenvWarnings } from "./typos.js";

/**
 * Reading the settings' two files, `.env` and `config.json`: what they hold, with warnings (one
 * line each) for typos and for a config.json that other users may read although it holds a secret.
 */

/** A config.json that holds a secret and that other users may read: say so, and how to fix it. */
export function warnIfExposed(file: string, secretKeys: string[], warn: (line: string) => void): void {
  if (secretKeys.length === 0 || process.platform === "win32") return;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o044) === 0) return;
  const keys = secretKeys.join(" and ");
  warn(`Warning: ${file} holds ${keys} and other users can read it (mode ${mode.toString(8)}); run: chmod 600 ${shellQuoted(file)}`);
}

/** A path as it can be pasted into a shell. */
function shellQuoted(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** The file's text, or undefined when there is no such file. */
function readOptionalFile(file: string, source: SettingSource): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SettingsError(`cannot read ${file}: ${(error as Error).message}`, undefined, source);
  }
}

/** `.env`'s variables; `known` are the names pocketpaw reads (for typo warnings). */
export function readDotenv(file: string, known: string[], warn: (line: string) => void): NodeJS.Dict<string> {
  const content = readOptionalFile(file, ".env");
  if (content === undefined) return {};
  const checked = dotenvWarnings(file, content, known);
  for (const line of checked.warnings) warn(line);
  return parseEnv(checked.text);
}

/** config.json's keys and values; `known` are the keys pocketpaw reads (for typo warnings). */
export function readConfigFile(file: string, known: string[], warn: (line: string) => void): Record<string, unknown> {
  const content = readOptionalFile(file, "config file");
  if (content === undefined) return {};
  // Editors on Windows may start the file with a BOM, which JSON.parse refuses.
  const json = content.replace(/^\uFEFF/, "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new SettingsError(`${file} is not valid JSON: ${jsonProblem(error, json)}`, undefined, "config file");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SettingsError(
      `${file} is not valid: expected a JSON object, e.g. {"opencode_base_url": "http://localhost:4096"}`,
      undefined,
      "config file",
    );
  }
  const config = parsed as Record<string, unknown>;
  for (const line of configKeyWarnings(file, json, config, known)) warn(line);
  return config;
}

/**
 * What is wrong with a JSON text, without quoting it: the file may hold a password, and V8's
 * messages can include a piece of the input ("Unexpected token 'h', "hunter2" is not valid JSON").
 */
function jsonProblem(error: unknown, json: string): string {
  const message = error instanceof Error ? error.message : "";
  if (message.startsWith("Unexpected token")) return "unexpected token";
  if (message === "Unexpected end of JSON input") return "unexpected end of the file";
  const located = /^(.*?)(?: in JSON)? at position (\d+)/s.exec(message);
  if (located?.[1] === undefined || located[2] === undefined) return "syntax error";
  const position = Number(located[2]);
  const before = json.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return `${located[1]} at line ${line}, column ${column}`;
}
