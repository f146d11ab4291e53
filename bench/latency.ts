// Benchmark 2: added latency. The real OpenCode server, a fake model writing a numbered chunk
// every 50 ms (bench/clock-model.ts), and four readers of the same server at once, all in this
// process (one clock): the official SDK's subscription, a pocketpaw run, and two raw SSE readers.
// For each chunk: when the model wrote it and when each reader had it; pocketpaw's and the SDK's
// added latency is their time minus the raw reader's, paired per chunk.
//
// The server writes an event to its subscribers one after the other, in the order they
// connected, and this process then reads the sockets in that order: a reader later in the order
// sees each chunk a little later. So the turn is run twice, with the readers connected in one
// order and then in the reverse order, and the pairs of both runs are pooled. The second raw
// reader, one place from the first each time, shows what two identical readers differ by.

import { createOpencodeClient } from "@opencode-ai/sdk/v2";
import { OpenCodeBackend } from "../src/opencode/backend/backend.js";
import { type OcEvent, str } from "../src/opencode/rest/wire.js";
import { MemorySessionStore } from "../src/sessions/store.js";
import { type OpenCodeServer, startOpenCode } from "../test/support/opencode-server.js";
import { type ClockModel, chunkIndexes, startClockModel } from "./clock-model.js";
import { readRawEvents } from "./readers.js";
import { fixed, median, percentile, type Section, target, within } from "./report.js";

export interface LatencyOptions {
  /** Chunks per measured turn (there are two). */
  chunks: number;
  intervalMs: number;
}

export const LATENCY_DEFAULTS: LatencyOptions = { chunks: 150, intervalMs: 50 };

type Seen = Map<number, number>;
type ReaderName = "raw" | "raw2" | "sdk" | "pocketpaw";

function note(seen: Seen, text: string): void {
  const now = performance.now();
  for (const i of chunkIndexes(text)) if (!seen.has(i)) seen.set(i, now);
}

/** Starts one reader; resolves once the server has registered its connection. */
async function connect(
  name: ReaderName,
  server: OpenCodeServer,
  seen: Seen,
  signal: AbortSignal,
  running: Promise<unknown>[],
): Promise<OpenCodeBackend | undefined> {
  let connected!: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  const onEvent = (event: Pick<OcEvent, "type" | "properties">) => {
    if (event.type === "server.connected") connected();
    else if (event.type === "message.part.delta") note(seen, str(event.properties, "delta") ?? "");
  };
  if (name === "raw" || name === "raw2") running.push(readRawEvents(`${server.url}/event`, onEvent, signal));
  else if (name === "sdk") {
    running.push(
      (async () => {
        const { stream } = await createOpencodeClient({ baseUrl: server.url }).event.subscribe({}, { signal });
        for await (const event of stream) onEvent(event);
      })().catch((error: unknown) => {
        if (!signal.aborted) throw error;
      }),
    );
  } else {
    // The backend opens its event connection with its first run, and keeps it (lingerMs).
    const backend = new OpenCodeBackend({
      baseUrl: server.url,
      store: new MemorySessionStore(),
      timeoutMs: 30_000,
      events: { lingerMs: 600_000 },
    });
    await turn(backend, seen);
    return backend;
  }
  await within(10_000, `the ${name} reader's connection`, ready);
  return undefined;
}

async function turn(backend: OpenCodeBackend, seen: Seen): Promise<void> {
  for await (const event of backend.run("clock", { sessionKey: "latency" })) {
    if (event.type === "message") note(seen, event.content);
    if (event.type === "error") throw new Error(`the latency run failed: ${event.content}`);
  }
}

/** One measured turn with the readers connected in `order`; returns the chunks it covered. */
async function measure(
  order: ReaderName[],
  server: OpenCodeServer,
  model: ClockModel,
  setChunks: (n: number) => void,
  chunks: number,
  seen: Record<ReaderName, Seen>,
): Promise<number[]> {
  const stop = new AbortController();
  const running: Promise<unknown>[] = [];
  let backend: OpenCodeBackend | undefined;
  try {
    setChunks(5); // pocketpaw's connection turn, also a warm-up
    for (const name of order) backend = (await connect(name, server, seen[name], stop.signal, running)) ?? backend;
    if (!backend) throw new Error("no pocketpaw reader in the order");
    const first = model.written.size;
    setChunks(chunks);
    await within(chunks * 50 + 60_000, "the measured turn", turn(backend, seen.pocketpaw));
    await new Promise((r) => setTimeout(r, 200)); // the other readers' last chunks
    return Array.from({ length: model.written.size - first }, (_, k) => first + k);
  } finally {
    stop.abort();
    await Promise.all(running);
    await backend?.close();
  }
}

export async function latency(options: LatencyOptions = LATENCY_DEFAULTS): Promise<Section> {
  let chunks = 5;
  const model = await startClockModel({ chunks: () => chunks, intervalMs: options.intervalMs });
  const server = await startOpenCode({ modelBaseURL: model.baseURL });
  try {
    const seen: Record<ReaderName, Seen> = { raw: new Map(), raw2: new Map(), sdk: new Map(), pocketpaw: new Map() };
    const setChunks = (n: number) => (chunks = n);
    const order: ReaderName[] = ["raw", "raw2", "pocketpaw", "sdk"];
    const measured = [
      ...(await measure(order, server, model, setChunks, options.chunks, seen)),
      ...(await measure([...order].reverse(), server, model, setChunks, options.chunks, seen)),
    ];
    const serverMs: number[] = [];
    const added = { pocketpaw: [] as number[], sdk: [] as number[], raw2: [] as number[] };
    for (const i of measured) {
      const written = model.written.get(i) as number;
      const raw = seen.raw.get(i);
      if (raw === undefined) throw new Error(`chunk ${i} never reached the raw reader`);
      serverMs.push(raw - written);
      for (const name of ["pocketpaw", "sdk", "raw2"] as const) {
        const t = seen[name].get(i);
        if (t === undefined) throw new Error(`chunk ${i} never reached the ${name} reader`);
        added[name].push(t - raw);
      }
    }
    const row = (what: string, ms: number[]) => [
      what,
      ...[median(ms), percentile(ms, 90), percentile(ms, 99), Math.max(...ms)].map((v) => fixed(v, 3)),
    ];
    return {
      title: `2. Added latency (the real OpenCode server, a chunk every ${options.intervalMs} ms)`,
      table: [
        ["what (ms)", "median", "p90", "p99", "max"],
        row("server: model wrote it → raw reader had it", serverMs),
        row("pocketpaw backend.run() − raw reader", added.pocketpaw),
        row("official SDK subscribe − raw reader", added.sdk),
        row("second raw reader − raw reader (noise)", added.raw2),
      ],
      targets: [
        target("pocketpaw added latency, median (ms)", median(added.pocketpaw), "<=", 1, 3),
        target("pocketpaw added latency, p99 (ms)", percentile(added.pocketpaw, 99), "<=", 5, 3),
      ],
      notes: [
        `${measured.length} chunks in two turns, readers connected in the order ${order.join(", ")}, then the reverse; each chunk paired across the readers`,
      ],
    };
  } finally {
    await server.stop();
    await model.close();
  }
}
