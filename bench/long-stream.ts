// Benchmark 4: one run of a million text deltas through the whole backend (`backend.run()`),
// generated while it is written by the replay server (another process), watching the client's
// resident memory: it must stay flat, since nothing of the text is kept but counts. The client is
// a process of its own, so that what the other benchmarks left behind does not blur its memory.

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { OpenCodeBackend } from "../src/opencode/backend/backend.js";
import { MemorySessionStore } from "../src/sessions/store.js";
import { startReplayServer } from "./replay-server.js";
import { collectGarbage, fixed, mb, type Section, target, thousands, within } from "./report.js";

export interface LongStreamOptions {
  steps: number;
  deltasPerStep: number;
}

export const LONG_STREAM_DEFAULTS: LongStreamOptions = { steps: 500, deltasPerStep: 2_000 };

/** Runs the benchmark in a child process (this file as its entry point); resolves with its section. */
export function longStream(options: LongStreamOptions = LONG_STREAM_DEFAULTS): Promise<Section> {
  const args = ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), JSON.stringify(options)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 600_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`the long-stream process failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Section);
    });
  });
}

async function measure(options: LongStreamOptions): Promise<Section> {
  const sessionId = "ses_bench0000000000000000000b";
  const deltas = options.steps * options.deltasPerStep;
  const server = await startReplayServer({
    shape: { sessionId, steps: options.steps, deltasPerStep: options.deltasPerStep, noiseEvery: 0 },
    mode: "64k",
    prebuilt: false,
  });
  const backend = new OpenCodeBackend({ baseUrl: server.url, store: new MemorySessionStore() });
  try {
    collectGarbage();
    const before = process.memoryUsage().rss;
    // Resident memory sampled as the run goes, with how far it was. Growth is counted from the
    // first tenth on: by then the heap has grown to its working size (V8 enlarges its young
    // generation once, early in a long burst), and anything that grew with the stream would show.
    const samples: Array<{ at: number; rss: number; heap: number }> = [];
    let seen = 0;
    let textChars = 0;
    let toolResults = 0;
    const sample = () => {
      const { rss, heapUsed } = process.memoryUsage();
      samples.push({ at: seen / deltas, rss, heap: heapUsed });
    };
    const sampler = setInterval(sample, 25);
    const started = performance.now();
    await within(
      300_000,
      "the long run",
      (async () => {
        for await (const event of backend.run("a very long answer", { sessionKey: "long" })) {
          if (event.type === "message") {
            seen++;
            textChars += event.content.length;
          } else if (event.type === "tool_result") toolResults++;
          else if (event.type === "error") throw new Error(`the long run failed: ${event.content}`);
        }
      })(),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    sample();
    const summary = (await (await fetch(`${server.url}/bench/summary`)).json()) as {
      events: number;
      bytes: number;
      textChars: number;
      toolResults: number;
    };
    if (textChars !== summary.textChars || toolResults !== summary.toolResults) {
      throw new Error(`delivered ${textChars} of ${summary.textChars} characters, ${toolResults} of ${summary.toolResults} tool results`);
    }
    /** RSS of the first sample at or past `fraction` of the deltas. */
    const rssAt = (fraction: number) => samples.find((s) => s.at >= fraction)?.rss ?? Number.NaN;
    const afterWarmUp = samples.filter((s) => s.at >= 0.1);
    const peak = Math.max(...afterWarmUp.map((s) => s.rss));
    const growth = peak - rssAt(0.1);
    return {
      title: `4. Long stream (${thousands(deltas)} deltas in one run, through backend.run())`,
      table: [
        ["what", "value"],
        ["events", thousands(summary.events)],
        ["stream size (MB)", mb(summary.bytes)],
        ["throughput (events/s)", thousands(summary.events / seconds)],
        ["throughput (MB/s)", mb(summary.bytes / seconds)],
        ["RSS before the run (MB)", mb(before)],
        ...[0.05, 0.1, 0.25, 0.5, 0.75, 1].map((f) => [`RSS at ${f * 100}% of the deltas (MB)`, mb(rssAt(f))]),
        ["RSS peak from 10% on (MB)", mb(peak)],
        ["JS heap peak (MB)", mb(Math.max(...samples.map((s) => s.heap)))],
      ],
      targets: [target("RSS growth from 10% of the deltas to the end (MB)", growth / 1_000_000, "<=", 20, 1)],
      notes: [
        `all ${thousands(summary.textChars)} characters and ${summary.toolResults} tool results delivered, in ${fixed(seconds, 1)} s; the stream is generated as it is written (64 KiB writes); the client runs in a process of its own`,
        `RSS growth over the whole run, start to peak: ${mb(Math.max(...samples.map((s) => s.rss)) - before)} MB (connections, compiled code and the heap reaching its working size)`,
      ],
    };
  } finally {
    await backend.close();
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(await measure(JSON.parse(process.argv[2] ?? "{}") as LongStreamOptions)));
}
