// Benchmark 1: event pipeline throughput. One large generated turn (bench/opencode-stream.ts) is
// replayed from a loopback server in another process, in two write modes, and read by each
// reader of bench/readers.ts in turn; rounds rotate the order, the median of each is reported.

import { decoderCost } from "./decoder.js";
import { type Delivered, type Target as ReaderTarget, readBackend, readFloor, readHub, readSdk } from "./readers.js";
import { PLACEHOLDER_USER_ID, startReplayServer, type WriteMode } from "./replay-server.js";
import { collectGarbage, fixed, mb, median, type Section, type Target, target, thousands, within } from "./report.js";

export interface ThroughputOptions {
  steps: number;
  deltasPerStep: number;
  rounds: number;
}

export const THROUGHPUT_DEFAULTS: ThroughputOptions = { steps: 100, deltasPerStep: 2_000, rounds: 7 };

const READERS = {
  "pocketpaw (hub + translator)": readHub,
  "pocketpaw backend.run()": readBackend,
  "official SDK + translation loop": readSdk,
  "floor (split + JSON.parse)": readFloor,
} as const;
type ReaderName = keyof typeof READERS;
const [HUB, BACKEND, SDK, FLOOR] = Object.keys(READERS) as ReaderName[];

export async function throughput(options: ThroughputOptions = THROUGHPUT_DEFAULTS): Promise<Section> {
  const sessionId = "ses_bench0000000000000000000a";
  const shape = { sessionId, steps: options.steps, deltasPerStep: options.deltasPerStep, noiseEvery: 20 };
  const table: string[][] = [["write mode", "reader", "events/s", "MB/s", "vs floor", "runs"]];
  const targets: Target[] = [];
  const notes: string[] = [];

  for (const mode of ["64k", "event"] as WriteMode[]) {
    const server = await startReplayServer({ shape, mode, prebuilt: true });
    try {
      const { summary } = server;
      const readerTarget: ReaderTarget = { url: server.url, sessionId, userMessageId: PLACEHOLDER_USER_ID };
      const rates = new Map<ReaderName, number[]>();
      const names = Object.keys(READERS) as ReaderName[];
      // Round 0 warms up the JIT and the connections; it is not counted.
      for (let round = 0; round <= options.rounds; round++) {
        for (let i = 0; i < names.length; i++) {
          const name = names[(i + round) % names.length] as ReaderName;
          collectGarbage();
          const started = performance.now();
          const delivered = await within(120_000, `${name} reading the ${mode} replay`, READERS[name](readerTarget));
          const seconds = (performance.now() - started) / 1000;
          check(name, delivered, summary);
          if (round > 0) rates.set(name, [...(rates.get(name) ?? []), summary.events / seconds]);
        }
      }
      const floor = median(rates.get(FLOOR as ReaderName) ?? []);
      for (const name of names) {
        const eventsPerS = median(rates.get(name) ?? []);
        table.push([
          mode,
          name,
          thousands(eventsPerS),
          mb((eventsPerS * summary.bytes) / summary.events),
          fixed(eventsPerS / floor),
          String(rates.get(name)?.length ?? 0),
        ]);
      }
      const hub = median(rates.get(HUB as ReaderName) ?? []);
      const sdk = median(rates.get(SDK as ReaderName) ?? []);
      const backend = median(rates.get(BACKEND as ReaderName) ?? []);
      targets.push(target(`${mode} writes: pocketpaw / floor (a/c)`, hub / floor, ">=", 0.8));
      targets.push(target(`${mode} writes: pocketpaw / SDK (a/b)`, hub / sdk, ">=", 1.3));
      // What an application consumes: the hub's events through the run's follower, one by one.
      targets.push(target(`${mode} writes: backend.run() / floor`, backend / floor, ">=", 0.9));
      notes.push(`${mode} writes: SDK / floor = ${fixed(sdk / floor)}`);
      if (mode === "64k") {
        notes.push(
          `stream: ${thousands(summary.events)} events (${thousands(summary.deltas)} text deltas of 10-40 characters, ${summary.toolResults} tool steps, one other session's delta every 20), ${mb(summary.bytes)} MB; every reader checked to deliver all ${thousands(summary.textChars)} characters and ${summary.toolResults} tool results`,
        );
      }
    } finally {
      await server.close();
    }
  }
  notes.push("MB/s counts the SSE body (10^6 bytes); median of the counted runs, the order of readers rotating each round");
  for (const { chunking, decoder, microseconds } of decoderCost()) {
    notes.push(`in process, ${chunking}: ${decoder} + JSON.parse, ${fixed(microseconds, 3)} µs per event`);
  }
  return { title: "1. Event pipeline throughput (replayed from a loopback server in another process)", table, targets, notes };
}

function check(name: string, delivered: Delivered, summary: { events: number; textChars: number; toolResults: number }): void {
  if (name === FLOOR) {
    // Every frame of the turn, plus `server.connected`.
    if (delivered.items !== summary.events + 1) throw new Error(`${name} parsed ${delivered.items} frames of ${summary.events + 1}`);
    return;
  }
  if (delivered.textChars !== summary.textChars || delivered.toolResults !== summary.toolResults) {
    throw new Error(
      `${name} delivered ${delivered.textChars} of ${summary.textChars} characters and ${delivered.toolResults} of ${summary.toolResults} tool results`,
    );
  }
}
