#!/usr/bin/env node
// Part of `npm run build`: tsc compiles src/ to dist/ but copies no other files, and the web
// dashboard's page, modules and styles (src/web/static/, plain browser files served as they are)
// must sit next to the compiled server (dist/web/static/). Type-checking files stay behind.
import { cpSync, rmSync } from "node:fs";

const from = new URL("../src/web/static/", import.meta.url);
const to = new URL("../dist/web/static/", import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, {
  recursive: true,
  filter: (source) => !source.endsWith(".d.ts") && !source.endsWith("tsconfig.json") && !source.endsWith("/vendor"),
});
