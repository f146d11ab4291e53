// `npm run bench`: pocketpaw's benchmarks, each printing what it measured side by side with what
// it is compared to, and the targets of issues #5 and #13 as ratios or bounds (BENCHMARKS.md
// records a run). Never part of `npm test`.
//
//   npm run bench                       all six, about 4.5 minutes on 2 cores
//   npm run bench -- throughput latency only those (throughput, latency, concurrency, long, cold, channels)
//   npm run bench -- --json out.json    also write the results as JSON

import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { channels } from "./channels.js";
import { coldStart } from "./cold-start.js";
import { concurrency } from "./concurrency.js";
import { latency } from "./latency.js";
import { longStream } from "./long-stream.js";
import { formatSection, type Section } from "./report.js";
import { throughput } from "./throughput.js";

const BENCHMARKS: Record<string, () => Promise<Section>> = {
  throughput: () => throughput(),
  latency: () => latency(),
  concurrency: () => concurrency(),
  long: () => longStream(),
  cold: () => coldStart(),
  channels: () => channels(),
};

function parseArgs(argv: string[]): { names: string[]; json?: string } {
  const names: string[] = [];
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--json") json = argv[++i];
    else if (arg in BENCHMARKS) names.push(arg);
    else throw new Error(`unknown argument "${arg}": expected --json FILE or some of ${Object.keys(BENCHMARKS).join(", ")}`);
  }
  return { names: names.length ? names : Object.keys(BENCHMARKS), ...(json ? { json } : {}) };
}

function machine(): string {
  const cpu = cpus();
  return [
    `${cpu.length} CPU(s): ${cpu[0]?.model ?? "unknown"}`,
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `Node ${process.version} on ${process.platform}-${process.arch}`,
    `load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  ].join(" · ");
}

const { names, json } = parseArgs(process.argv.slice(2));
if (!(globalThis as { gc?: unknown }).gc) console.log("(run with node --expose-gc, as `npm run bench` does, for steadier numbers)");
console.log(`# pocketpaw benchmarks\n\n${machine()}\n`);
const sections: Section[] = [];
const started = performance.now();
let failed = false;
for (const name of names) {
  const t = performance.now();
  try {
    const section = await BENCHMARKS[name]!();
    sections.push(section);
    console.log(`${formatSection(section)}\n(${((performance.now() - t) / 1000).toFixed(0)} s)\n`);
  } catch (error) {
    failed = true;
    console.log(`## ${name}: FAILED\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}
const missed = sections.flatMap((s) => s.targets.filter((t) => !t.met).map((t) => `${s.title}: ${t.what}`));
console.log(
  `Done in ${((performance.now() - started) / 1000).toFixed(0)} s. ${missed.length ? `Targets missed:\n- ${missed.join("\n- ")}` : "Every target met."}`,
);
if (json) writeFileSync(json, `${JSON.stringify({ machine: machine(), sections }, null, 2)}\n`);
process.exitCode = failed ? 1 : 0;
