#!/usr/bin/env node
// `npm run build` after the type check: the CLI bundled by esbuild into dist/cli/, npm packages
// left outside, and the web dashboard's static files copied to dist/web/static/ (plain browser
// files, served as they are).
//
// Why a bundle and not tsc's one file per module: Node loads ES modules one by one, each a
// round of resolving, reading and linking, and a command's start went mostly to that (`pocketpaw
// backends` took 1.9x `node -e 0` from about 25 modules; bundled, a command loads its entry and
// a few chunks). Chunks stay beside main.js, so paths made from import.meta.url (the static
// files) are the same as from dist/cli/ and dist/web/.
//
// Two builds: the command table and its commands as ES modules (program.mjs, a chunk per
// command and per shared part, loaded when a command runs), and main.js, the entry, as CommonJS
// (dist/cli/package.json says so): it answers --version alone and takes the table with require(),
// which spares a start Node's asynchronous ES module loader (src/cli/main.ts says how much).
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const outdir = process.argv[2] ?? new URL("../dist/", import.meta.url).pathname;
const src = (path) => new URL(`../src/${path}`, import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
const common = { bundle: true, platform: "node", target: "node20", packages: "external", sourcemap: true, logLevel: "warning" };
await build({
  ...common,
  entryPoints: { program: src("cli/program.ts") },
  outdir: `${outdir}/cli`,
  splitting: true,
  format: "esm",
  chunkNames: "[name]-[hash]",
  outExtension: { ".js": ".mjs" },
});
await build({
  ...common,
  entryPoints: { main: src("cli/main.ts") },
  outdir: `${outdir}/cli`,
  format: "cjs",
  plugins: [
    {
      name: "program-beside",
      setup(on) {
        on.onResolve({ filter: /^\.\/program\.js$/ }, () => ({ path: "./program.mjs", external: true }));
      },
    },
  ],
});
writeFileSync(`${outdir}/cli/package.json`, `${JSON.stringify({ type: "commonjs" })}\n`);
cpSync(new URL("../src/web/static/", import.meta.url), `${outdir}/web/static/`, {
  recursive: true,
  filter: (source) => !source.endsWith(".d.ts") && !source.endsWith("tsconfig.json") && !source.endsWith("/vendor"),
});
