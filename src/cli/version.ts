import { readFileSync } from "node:fs";

/** pocketpaw's version, from its package.json (read as a file: a createRequire() would start the CommonJS loader). */
export const VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
  .version;
