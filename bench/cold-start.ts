// Benchmark 5: CLI cold start. The CLI is built as it ships (scripts/build.mjs, into a temp
// folder beside a copy of package.json), then `pocketpaw --version` and `pocketpaw backends` are timed against
// `node -e 0`, interleaved, from spawn to exit; and `pocketpaw ask` to its first output against
// a raw client doing the same REST calls (first-output.ts).

import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { firstOutput } from "./first-output.js";
import { fixed, median, type Section, type Target, target } from "./report.js";

const REPO = fileURLToPath(new URL("../", import.meta.url));

export interface ColdStartOptions {
  runs: number;
}

export const COLD_START_DEFAULTS: ColdStartOptions = { runs: 20 };

function timeRun(args: string[]): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: "ignore", env: { PATH: process.env.PATH ?? "", HOME: tmpdir() } });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, code });
    });
  });
}

export async function coldStart(options: ColdStartOptions = COLD_START_DEFAULTS): Promise<Section> {
  const root = mkdtempSync(join(tmpdir(), "pocketpaw-bench-cli-"));
  try {
    // Laid out as an installed package: package.json beside dist/, packages from node_modules.
    copyFileSync(join(REPO, "package.json"), join(root, "package.json"));
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
    // Built as `npm run build` builds it (the bundle), into the temporary folder.
    const build = spawnSync(process.execPath, [join(REPO, "scripts/build.mjs"), join(root, "dist")], {
      encoding: "utf8",
      timeout: 180_000,
    });
    const main = join(root, "dist/cli/main.js");
    if (build.status !== 0 || !existsSync(main)) throw new Error(`the build produced no ${main}:\n${build.stdout}${build.stderr}`);
    // Each command's bound over `node -e 0` (issue #13): the version alone, a table from code
    // (the command line and a few modules), the settings from every source (files, environment).
    const commands: Array<[string, string[], number | undefined]> = [
      ["node -e 0", ["-e", "0"], undefined],
      ["pocketpaw --version", [main, "--version"], 1.5],
      ["pocketpaw backends", [main, "backends"], 1.6],
      ["pocketpaw config", [main, "config"], 2.5],
    ];
    const times = new Map<string, number[]>();
    const failed = new Set<string>();
    for (let i = 0; i <= options.runs; i++) {
      for (const [name, args] of commands) {
        const { ms, code } = await timeRun(args);
        if (code !== 0) failed.add(name);
        if (i > 0) times.set(name, [...(times.get(name) ?? []), ms]); // the first round warms the disk cache
      }
    }
    const base = median(times.get("node -e 0") ?? []);
    const table = [["command", "median (ms)", "min (ms)", "vs node -e 0"]];
    const targets: Target[] = [];
    const notes: string[] = [];
    for (const [name, , bound] of commands) {
      const t = times.get(name) ?? [];
      if (failed.has(name)) {
        table.push([name, "n/a", "n/a", "n/a"]);
        notes.push(`\`${name}\` did not exit 0 (not in this build?): not measured`);
        continue;
      }
      table.push([name, fixed(median(t), 1), fixed(Math.min(...t), 1), fixed(median(t) / base)]);
      if (bound !== undefined) targets.push(target(`${name} / node -e 0`, median(t) / base, "<=", bound));
    }
    const first = await firstOutput(main, Math.min(options.runs, 12));
    table.push(...first.rows);
    targets.push(target("pocketpaw ask / raw client, to the first word", first.ratio, "<=", 1.15));
    notes.push(
      `\`ask\` to its first word: ${first.addedMs >= 0 ? "+" : ""}${fixed(first.addedMs, 1)} ms against a raw client doing the same REST calls, medians (new session each run, against the same warm server)`,
    );
    notes.push(`${options.runs} runs each, interleaved, spawn to exit, the CLI as \`npm run build\` bundles it (dist), not tsx`);
    return { title: "5. CLI cold start", table, targets, notes };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
