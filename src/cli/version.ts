// The bundle carries package.json's content (esbuild inlines JSON), so a start reads no file for
// the version: importing node:fs from an ES module alone cost a start about 4 ms (its ESM facade
// loads fs/promises and the streams), a tenth of `node -e 0`.
import pkg from "../../package.json" with { type: "json" };

/** pocketpaw's version, from its package.json. */
export const VERSION: string = pkg.version;
