import type picocolors from "picocolors";

/**
 * Terminal colours, in a module of their own so that commands printing a table (`backends`,
 * `config`, `doctor`) don't load the event renderer.
 */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** Colours on stderr's terminal, unless NO_COLOR says otherwise (FORCE_COLOR forces them). */
export function colorWanted(): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR) return true;
  return Boolean(process.stderr.isTTY);
}

/** Every colour function as the identity: what picocolors gives with colours off. */
const PLAIN = new Proxy({} as Colors, {
  get: (_, key) => (key === "isColorSupported" ? false : (text: unknown) => String(text)),
});

/**
 * Colour functions for the terminal (no-ops when colours are off). picocolors, and the `tty`
 * module it loads, are loaded only when colours are on: output piped to a file or a script
 * starts a few milliseconds sooner (measured by `npm run bench -- cold`). node:module too, taken
 * by `process.getBuiltinModule` when needed: imported at the top, its ES module facade cost every
 * start about 1.5 ms.
 */
export function colorsFor(enabled = colorWanted()): Colors {
  if (!enabled) return PLAIN;
  return (process.getBuiltinModule("node:module").createRequire(import.meta.url)("picocolors") as typeof picocolors).createColors(true);
}
