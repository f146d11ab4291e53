#!/usr/bin/env node
// The structure rules of src/, checked from the imports (part of `npm run lint`):
// 1. the fronts (cli, web, channels) talk to the contract: they import nothing from src/opencode;
//    only the composition root (src/app) does;
// 2. no import cycles between folders (a folder = a directory under src/, with its subfolders);
// 3. no file in src/ over MAX_LINES lines ("about 350": a file past that wants splitting).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..", "src");
const MAX_LINES = 380;
const FRONTS = ["cli", "web", "channels"];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

/** The folder of a file: its path under src/ without the file name ("opencode/rest"). */
const folderOf = (file) => relative(ROOT, dirname(file)) || ".";
/** The top folder ("opencode"). */
const topOf = (file) => relative(ROOT, file).split("/")[0];

const problems = [];
const edges = new Map(); // folder → Set of folders it imports
for (const file of files(ROOT)) {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n").length;
  if (lines > MAX_LINES && !file.includes("/static/vendor/"))
    problems.push(`${relative(ROOT, file)}: ${lines} lines (at most ${MAX_LINES})`);
  for (const [, spec] of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"'`]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
    if (!spec?.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(ROOT)) continue;
    const from = folderOf(file);
    const to = folderOf(target);
    if (FRONTS.includes(topOf(file)) && topOf(target) === "opencode") {
      problems.push(
        `${relative(ROOT, file)} imports ${relative(ROOT, target)}: fronts talk to src/agent's contract, and only src/app builds the backend`,
      );
    }
    if (from === to || to.startsWith(`${from}/`)) continue; // within a folder, or down into its own subfolder
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
  }
}

// Cycles between folders: depth-first search, reporting each cycle once.
const seen = new Set();
const onPath = [];
function visit(folder) {
  const at = onPath.indexOf(folder);
  if (at >= 0) {
    const cycle = [...onPath.slice(at), folder];
    const key = [...cycle].slice(0, -1).sort().join(",");
    if (!seen.has(`cycle:${key}`)) {
      seen.add(`cycle:${key}`);
      problems.push(`folder import cycle: ${cycle.join(" → ")}`);
    }
    return;
  }
  if (seen.has(folder)) return;
  onPath.push(folder);
  for (const next of edges.get(folder) ?? []) visit(next);
  onPath.pop();
  seen.add(folder);
}
for (const folder of edges.keys()) visit(folder);

if (problems.length) {
  for (const p of problems) console.error(`structure: ${p}`);
  process.exit(1);
}
console.log(`structure: ${edges.size} folders, no cycles, fronts on the contract, no file over ${MAX_LINES} lines`);
