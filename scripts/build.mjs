#!/usr/bin/env node
// `npm run build` after the type check: the CLI bundled by esbuild into dist/cli/ (main.js and
// the chunks its commands share), npm packages left outside, and the web dashboard's static
// files copied to dist/web/static/ (plain browser files, served as they are).
//
// Why a bundle and not tsc's one file per module: Node loads ES modules one by one, each a
// round of resolving, reading and linking, and a command's start went mostly to that (`pocketpaw
// backends` took 1.9x `node -e 0` from about 25 modules; bundled, a command loads its entry and
// a few chunks). Chunks stay beside main.js, so paths made from import.meta.url (package.json,
// the static files) are the same as from dist/cli/ and dist/web/.
import { cpSync, rmSync } from "node:fs";
import { build } from "esbuild";

const outdir = process.argv[2] ?? new URL("../dist/", import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: new URL("../src/cli/main.ts", import.meta.url).pathname },
  outdir: `${outdir}/cli`,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  chunkNames: "[name]-[hash]",
  sourcemap: true,
  logLevel: "warning",
});
cpSync(new URL("../src/web/static/", import.meta.url), `${outdir}/web/static/`, {
  recursive: true,
  filter: (source) => !source.endsWith(".d.ts") && !source.endsWith("tsconfig.json") && !source.endsWith("/vendor"),
});
