/**
 * Settings that were meant but not read: a misspelt key in config.json or .env, and .env lines
 * that dotenv parsing reads differently from what was written. Found here and warned about (the
 * settings still load: a typo must not stop a command that works without it).
 */

/** Key prefixes of pocketpaw's own settings: an unknown key with one of them is a typo. */
const OWN_PREFIXES = ["opencode_", "dashboard_", "agent_"];

/**
 * Levenshtein distance. Written here rather than taken from a package: a dozen lines, run on a
 * handful of short names once per command; a dependency would cost more (install size, cold
 * start, supply chain) than it saves.
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known name nearest to `name` (case aside). */
export function nearest(name: string, known: readonly string[]): string {
  const distance = (k: string) => editDistance(name.toLowerCase(), k.toLowerCase());
  return known.reduce((best, k) => (distance(k) < distance(best) ? k : best));
}

/**
 * Whether an unknown key looks meant for pocketpaw: one of its prefixes, or a letter or two from
 * a known name. Other keys are left alone: PocketPaw's other parts may keep their own settings in
 * the same files (a Telegram token, another backend's model).
 */
function meantForUs(name: string, known: readonly string[], prefix = ""): boolean {
  const bare = name.toLowerCase().slice(prefix.length);
  return OWN_PREFIXES.some((p) => bare.startsWith(p)) || editDistance(name.toLowerCase(), nearest(name, known).toLowerCase()) <= 2;
}

/** The 1-based line of a config.json key (undefined if written with escapes). */
function lineOfKey(json: string, key: string): number | undefined {
  const at = json.search(new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\s*:`));
  return at < 0 ? undefined : json.slice(0, at).split("\n").length;
}

/** Warnings for config.json keys that are not settings but look meant to be. */
export function configKeyWarnings(file: string, json: string, config: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(config)
    .filter((key) => !known.includes(key) && meantForUs(key, known))
    .map((key) => {
      const line = lineOfKey(json, key);
      const where = line === undefined ? file : `${file} line ${line}`;
      return `Warning: ${where}: "${key}" is not a pocketpaw setting, so it is ignored; did you mean "${nearest(key, known)}"?`;
    });
}

const ASSIGNMENT = /^\s*(?:export\s+)?([^=]*?)\s*=\s*(.*)$/;

/**
 * A .env file's problems, and its text with the lines that are no settings blanked out (Node's
 * parser would otherwise glue such a line to the next one's name, losing that setting too):
 * - a line without `=`;
 * - a quote that is not closed on its own line: the parser runs the value on to the next line
 *   holding that quote, swallowing the settings in between (or, never closed, keeps the quote);
 * - a POCKETPAW_ name that is no setting but looks meant to be.
 * Values are never quoted in a warning: the file may hold a password.
 */
export function dotenvWarnings(file: string, text: string, known: readonly string[]): { text: string; warnings: string[] } {
  const lines = text.split("\n");
  const warnings: string[] = [];
  const say = (n: number, what: string) => warnings.push(`Warning: ${file} line ${n + 1}: ${what}`);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const assignment = ASSIGNMENT.exec(line);
    if (!assignment) {
      const word = /^\s*([A-Za-z0-9_.-]*)/.exec(line)?.[1] || "this line";
      say(n, `${word} has no "=", so it is not a setting and is ignored; write NAME=value.`);
      lines[n] = "";
      continue;
    }
    const [, name = "", value = ""] = assignment;
    if (name.toUpperCase().startsWith("POCKETPAW_") && !known.includes(name) && meantForUs(name, known, "POCKETPAW_")) {
      say(n, `${name} is not a pocketpaw setting, so it is ignored; did you mean ${nearest(name, known)}?`);
    }
    const quote = /^["'`]/.exec(value)?.[0];
    if (!quote || value.indexOf(quote, 1) > 0) continue;
    const closes = lines.findIndex((later, i) => i > n && later.includes(quote));
    const opens = `the value of ${name} opens a ${quote} that is`;
    if (closes < 0) {
      say(n, `${opens} never closed, so the ${quote} is part of the value; close it on line ${n + 1}.`);
      continue;
    }
    const swallowed = lines
      .slice(n + 1, closes + 1)
      .map((l) => ASSIGNMENT.exec(l)?.[1])
      .filter((k) => k && !/\s/.test(k));
    const what = swallowed.length ? `, swallowing ${swallowed.join(", ")}` : "";
    say(n, `${opens} not closed on that line, so it runs on to line ${closes + 1}${what}; close it on line ${n + 1}.`);
    n = closes;
  }
  return { text: lines.join("\n"), warnings };
}
