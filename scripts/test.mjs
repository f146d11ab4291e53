#!/usr/bin/env node
// Runs the test suite with Node's own test runner (through tsx for TypeScript).
// Node 20's runner takes no globs, so the files are listed here: every *.test.ts under the
// folders given (default: test/), unit tests first.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(dir) {
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return collect(path);
      return name.endsWith(".test.ts") ? [path] : [];
    });
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ["test/unit", "test/integration", "test/web"]).flatMap(collect);
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
