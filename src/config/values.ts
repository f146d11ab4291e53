/**
 * The pieces every settings table is made of: the value schemas (each accepts what any source
 * gives, strings from flags, the environment and .env, also numbers and booleans from
 * config.json) and the shape of one setting. settings.ts and channel-settings.ts build on them.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Value schemas. Every source gives strings, except config.json, which may also give numbers;
// each schema accepts both and yields the setting's typed value.

export const scalar = z.union([z.string(), z.number()]);
export const text = scalar.transform(String);
export const trimmedText = text.pipe(z.string().trim());

export function wholeNumber(min: number) {
  const fromString = z.string().trim().regex(/^\d+$/).transform(Number);
  return z.union([z.number(), fromString]).pipe(z.number().int().min(min).max(Number.MAX_SAFE_INTEGER));
}

export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  // Credentials in the URL would be refused by fetch(); they belong in username/password.
  return (
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.search === "" &&
    url.hash === "" &&
    url.username === "" &&
    url.password === ""
  );
}

export const httpUrl = trimmedText.refine(isHttpUrl).transform((url) => url.replace(/\/+$/, ""));
const SWITCH_WORDS: Record<string, boolean> = {
  "1": true,
  true: true,
  yes: true,
  on: true,
  "0": false,
  false: false,
  no: false,
  off: false,
  "": false,
};
/** On or off: a JSON boolean in config.json, or 1/0, true/false, yes/no, on/off anywhere. */
export const onOff = z
  .union([z.boolean(), scalar])
  .transform((v) => (typeof v === "boolean" ? v : SWITCH_WORDS[String(v).trim().toLowerCase()]))
  .pipe(z.boolean());
/** A host name or IP address to listen on (IPv6 bare or in brackets), nothing else. */
export const listenHost = trimmedText
  .pipe(z.string().regex(/^(?:[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?)$/))
  .transform((h) => h.replace(/^\[(.*)\]$/, "$1"));
export const tcpPort = wholeNumber(1).pipe(z.number().max(65535));

/**
 * A list of user ids (comma-separated, or a JSON array in config.json), each matching `id`, or
 * `*` for everyone; normalised to "a,b" or "*". "" = nobody.
 */
export function userList(id: RegExp) {
  const joined = z.union([z.array(scalar).transform((items) => items.join(",")), scalar.transform(String)]);
  return joined
    .transform((value) => value.trim())
    .pipe(
      z.string().refine((value) => {
        if (value === "" || value === "*") return true;
        return value.split(",").every((item) => id.test(item.trim()));
      }),
    )
    .transform((value) =>
      value === "" || value === "*"
        ? value
        : value
            .split(",")
            .map((item) => item.trim())
            .join(","),
    );
}

// ---------------------------------------------------------------------------------------------
// One setting as the tables describe it.

export interface SettingSpec<Name extends string, Schema extends z.ZodType> {
  /** Name in code, and key of the flags object passed to loadSettings(). */
  name: Name;
  /** Command-line flag. */
  flag: string;
  env: string;
  /** Key in config.json. */
  configKey: string;
  default: z.output<Schema>;
  description: string;
  /** What a valid value looks like, for error messages and help. */
  expected: string;
  /** Never print the value. */
  secret: boolean;
  schema: Schema;
}

// Checks that each default fits its own schema's type, while keeping the literal names.
export const setting = <const Name extends string, Schema extends z.ZodType>(spec: SettingSpec<Name, Schema>) => spec;
