// Benchmark 3: 100 conversations at once against one real OpenCode server. pocketpaw (one
// backend: one event connection, one session per conversation) against a raw driver doing the
// least a client can (POST /session + prompt_async for each, one raw event reader, done at each
// session's idle), alternating on the same server. Every pocketpaw conversation must end with its
// own text and nothing of the others'. Then one more pocketpaw round measures the memory each
// conversation in flight holds.

import { OpenCodeBackend } from "../src/opencode/backend/backend.js";
import { startScriptedModel } from "../src/opencode/local-server/scripted-model.js";
import { str } from "../src/opencode/rest/wire.js";
import { MemorySessionStore } from "../src/sessions/store.js";
import { startOpenCode } from "../test/support/opencode-server.js";
import { readRawEvents } from "./readers.js";
import { collectGarbage, fixed, median, type Section, target, within } from "./report.js";

export interface ConcurrencyOptions {
  conversations: number;
  rounds: number;
}

export const CONCURRENCY_DEFAULTS: ConcurrencyOptions = { conversations: 100, rounds: 3 };

const reply = (round: string, i: number) =>
  `conversation ${round}-${i} answers with twenty words of its own text so that every reply streams in several deltas here`;
const prompt = (round: string, i: number) => `[[reply:${reply(round, i)}]]`;

export async function concurrency(options: ConcurrencyOptions = CONCURRENCY_DEFAULTS): Promise<Section> {
  const n = options.conversations;
  const model = await startScriptedModel();
  const server = await startOpenCode({ modelBaseURL: model.baseURL });
  // The connection stays open between rounds, as the raw driver's does.
  const backend = new OpenCodeBackend({
    baseUrl: server.url,
    store: new MemorySessionStore(),
    timeoutMs: 60_000,
    events: { lingerMs: 600_000 },
  });
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path}: HTTP ${response.status}`);
    return response.status === 204 ? undefined : ((await response.json()) as { id: string });
  };

  /** The raw driver: one event reader, then every conversation's session and prompt at once. */
  const raw = async (round: string): Promise<number> => {
    const stop = new AbortController();
    const texts = new Map<string, string>();
    const idle = new Set<string>();
    let connected!: () => void;
    let allIdle!: () => void;
    const ready = new Promise<void>((r) => (connected = r));
    const finished = new Promise<void>((r) => (allIdle = r));
    const sessions = new Set<string>();
    const reading = readRawEvents(
      `${server.url}/event`,
      (event) => {
        const sid = str(event.properties, "sessionID") ?? "";
        if (event.type === "server.connected") connected();
        else if (event.type === "message.part.delta") texts.set(sid, (texts.get(sid) ?? "") + (str(event.properties, "delta") ?? ""));
        else if (event.type === "session.idle" && sessions.has(sid)) {
          idle.add(sid);
          if (idle.size === n) allIdle();
        }
      },
      stop.signal,
    );
    await ready;
    const started = performance.now();
    const ids = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const session = (await post("/session", { title: `raw ${round}-${i}` })) as { id: string };
        sessions.add(session.id);
        await post(`/session/${session.id}/prompt_async`, { parts: [{ type: "text", text: prompt(round, i) }] });
        return session.id;
      }),
    );
    await within(120_000, `the raw driver's ${n} turns`, finished);
    const ms = performance.now() - started;
    stop.abort();
    await reading;
    ids.forEach((id, i) => {
      if (!texts.get(id)?.endsWith(reply(round, i))) throw new Error(`raw driver: conversation ${i} got "${texts.get(id)}"`);
    });
    return ms;
  };

  /** pocketpaw: every conversation a run of one backend; each must get its own text only. */
  const pocketpaw = async (round: string, onAllStreaming?: () => void): Promise<number> => {
    const streaming = new Set<number>();
    const started = performance.now();
    const texts = await within(
      120_000,
      `pocketpaw's ${n} turns`,
      Promise.all(
        Array.from({ length: n }, async (_, i) => {
          let text = "";
          for await (const event of backend.run(prompt(round, i), { sessionKey: `bench:${round}:${i}` })) {
            if (event.type === "message") {
              text += event.content;
              if (!streaming.has(i) && streaming.add(i).size === n) onAllStreaming?.();
            }
            if (event.type === "error") throw new Error(`conversation ${i}: ${event.content}`);
          }
          return text;
        }),
      ),
    );
    const ms = performance.now() - started;
    texts.forEach((text, i) => {
      if (text !== reply(round, i)) throw new Error(`cross-talk or loss: conversation ${round}-${i} got "${text}"`);
    });
    return ms;
  };

  try {
    await pocketpaw("warm-up");
    const times = { raw: [] as number[], pocketpaw: [] as number[] };
    for (let r = 0; r < options.rounds; r++) {
      // Alternating, and swapping who goes first, so neither gets the fresher server.
      const order = r % 2 === 0 ? (["raw", "pocketpaw"] as const) : (["pocketpaw", "raw"] as const);
      for (const who of order) times[who].push(who === "raw" ? await raw(`r${r}`) : await pocketpaw(`p${r}`));
    }
    // Memory: the heap held while every conversation is streaming, over the idle backend's.
    collectGarbage();
    const before = process.memoryUsage();
    let during: NodeJS.MemoryUsage | undefined;
    await pocketpaw("memory", () => {
      collectGarbage();
      during = process.memoryUsage();
    });
    const perConversation = during ? (during.heapUsed - before.heapUsed) / n : Number.NaN;

    const rawMs = median(times.raw);
    const ppMs = median(times.pocketpaw);
    return {
      title: `3. Concurrency (${n} conversations at once, one real OpenCode server)`,
      table: [
        ["driver", "wall time (ms), median", "all rounds (ms)"],
        ["raw: POST /session + prompt_async, one raw event reader", fixed(rawMs, 0), times.raw.map((t) => t.toFixed(0)).join(", ")],
        ["pocketpaw: backend.run() x n, one shared event connection", fixed(ppMs, 0), times.pocketpaw.map((t) => t.toFixed(0)).join(", ")],
      ],
      targets: [target("pocketpaw wall time / raw wall time", ppMs / rawMs, "<=", 1.25)],
      notes: [
        `every conversation of every round ended with exactly its own text (${n} x ${options.rounds + 2} runs checked; no cross-talk)`,
        `memory per conversation in flight: ${fixed(perConversation / 1024, 1)} KiB of JS heap (heap with all ${n} streaming, after a GC, minus the idle backend's)`,
      ],
    };
  } finally {
    await backend.close();
    await server.stop();
    await model.close();
  }
}
