/**
 * The pieces every settings table is made of: the value parsers (each accepts what any source
 * gives, strings from flags, the environment and .env, also numbers and booleans from
 * config.json) and the shape of one setting. settings.ts and channel-settings.ts build on them.
 */
// Not zod: a setting is a handful of scalars checked once per command, and loading zod (with
// building its schemas) cost about 55 ms of every command's start, more than all the rest of
// `pocketpaw config`. These parsers are the few lines settings need; zod stays where requests
// are validated (the HTTP API).

/** A setting's value as a source gives it, parsed: the typed value, or undefined when it is not valid. */
export type Parser<T> = (value: unknown) => T | undefined;
/** What a parser yields. */
export type Parsed<P> = P extends Parser<infer T> ? T : never;

/** `parse`, then `next` on what it yields (undefined from either: not valid). */
export function then<A, B>(parse: Parser<A>, next: (value: A) => B | undefined): Parser<B> {
  return (value) => {
    const parsed = parse(value);
    return parsed === undefined ? undefined : next(parsed);
  };
}

/** `parse`, kept only when `ok` says so. */
export function refine<T>(parse: Parser<T>, ok: (value: T) => boolean): Parser<T> {
  return then(parse, (value) => (ok(value) ? value : undefined));
}

/** Text matching `pattern`, after `parse`. */
export const matching = (parse: Parser<string>, pattern: RegExp): Parser<string> => refine(parse, (value) => pattern.test(value));

// ---------------------------------------------------------------------------------------------
// Value parsers. Every source gives strings, except config.json, which may also give numbers;
// each parser accepts both and yields the setting's typed value.

export const scalar: Parser<string | number> = (value) =>
  typeof value === "string" || (typeof value === "number" && Number.isFinite(value)) ? value : undefined;
export const text: Parser<string> = then(scalar, String);
export const trimmedText: Parser<string> = then(text, (value) => value.trim());

export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (value) => {
    const n =
      typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
    return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
  };
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

export const httpUrl: Parser<string> = then(refine(trimmedText, isHttpUrl), (url) => url.replace(/\/+$/, ""));
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
const switchWord: Parser<boolean> = then(scalar, (v) => SWITCH_WORDS[String(v).trim().toLowerCase()]);
export const onOff: Parser<boolean> = (value) => (typeof value === "boolean" ? value : switchWord(value));
/** A host name or IP address to listen on (IPv6 bare or in brackets), nothing else. */
export const listenHost: Parser<string> = then(matching(trimmedText, /^(?:[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?)$/), (h) =>
  h.replace(/^\[(.*)\]$/, "$1"),
);
export const tcpPort: Parser<number> = wholeNumber(1, 65535);

/**
 * A list of user ids (comma-separated, or a JSON array in config.json), each matching `id`, or
 * `*` for everyone; normalised to "a,b" or "*". "" = nobody.
 */
export function userList(id: RegExp): Parser<string> {
  return (value) => {
    const items = Array.isArray(value) ? value.map(scalar) : [scalar(value)];
    if (items.some((item) => item === undefined)) return undefined;
    const joined = items.join(",").trim();
    if (joined === "" || joined === "*") return joined;
    const ids = joined.split(",").map((item) => item.trim());
    return ids.every((item) => id.test(item)) ? ids.join(",") : undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// One setting as the tables describe it.

export interface SettingSpec<Name extends string, T> {
  /** Name in code, and key of the flags object passed to loadSettings(). */
  name: Name;
  /** Command-line flag. */
  flag: string;
  env: string;
  /** Key in config.json. */
  configKey: string;
  default: T;
  description: string;
  /** What a valid value looks like, for error messages and help. */
  expected: string;
  /** Never print the value. */
  secret: boolean;
  /** Checks a value from any source and gives the setting's typed value. */
  parse: Parser<T>;
}

// Checks that each default fits its own parser's type, while keeping the literal names.
export const setting = <const Name extends string, T>(spec: SettingSpec<Name, T>) => spec;
