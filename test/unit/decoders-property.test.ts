// Properties of the read path. The hand-written SSE decoder gives what eventsource-parser over a
// TextDecoder gives, for any bytes cut anywhere. Streams recorded from the real server, cut
// anywhere, through the decoder, or through the event hub (decoder, JSON, routing) and the
// translator, give the same events as read whole; garbage frames between the real ones change
// nothing. (decoders.test.ts holds the decoders' own examples and properties.)

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { describe, test } from "node:test";
import { createParser } from "eventsource-parser";
import fc from "fast-check";
import type { AgentEvent } from "../../src/agent/events.js";
import { EventHub } from "../../src/opencode/events/event-hub.js";
import type { OpenCodeClient } from "../../src/opencode/rest/client.js";
import type { OcMessageInfo } from "../../src/opencode/rest/wire.js";
import { TurnTranslator } from "../../src/opencode/translate/translate.js";
import { viaFetch } from "../../src/opencode/transport/http.js";
import { SseDecoder } from "../../src/opencode/transport/sse.js";
import { cutAt } from "../support/chunks.js";
import { recordedEvents, recordingBytes, recordingPath } from "../support/recordings.js";

const RECORDINGS = readdirSync(dirname(recordingPath("events-text.sse")))
  .filter((name) => name.endsWith(".sse"))
  .sort();

function decode(chunks: Uint8Array[]): string[] {
  const decoder = new SseDecoder();
  return [...chunks.flatMap((chunk) => decoder.push(chunk)), ...decoder.end()];
}

/**
 * The recording's first prompt, as the backend would know it; for a prompt the server failed
 * before storing it (no user message at all), the failed session and an id never seen.
 */
function firstTurn(name: string): { sessionId: string; userMessageId: string } {
  const events = recordedEvents(name);
  for (const e of events) {
    const info = e.properties.info as OcMessageInfo | undefined;
    if (e.type === "message.updated" && info?.role === "user") return { sessionId: info.sessionID, userMessageId: info.id };
  }
  const failed = events.find((e) => e.type === "session.error")?.properties.sessionID;
  if (typeof failed === "string") return { sessionId: failed, userMessageId: "msg_never_stored" };
  throw new Error(`no user message in ${name}`);
}

/**
 * The chunks served as `GET /event` to a real EventHub, whose events for the recording's first
 * prompt go through a TurnTranslator: the AgentEvents, and the frames the hub passed by.
 */
async function throughHub(name: string, chunks: Uint8Array[]): Promise<{ out: AgentEvent[]; malformed: number }> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const client = {
    displayUrl: "http://recording",
    events: () =>
      viaFetch(async () => new Response(body, { headers: { "content-type": "text/event-stream" } }))("http://recording/event", {
        method: "GET",
        headers: {},
        signal: new AbortController().signal,
      }),
  } as unknown as OpenCodeClient;
  const hub = new EventHub(client, { retryInitialMs: 60_000 });
  const turn = firstTurn(name);
  const translator = new TurnTranslator(turn);
  const out: AgentEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    hub.subscribe(turn.sessionId, (signal) => {
      if (signal.kind === "event") out.push(...translator.handle(signal.event));
      else if (signal.kind === "disconnected")
        resolve(); // the end of the recording
      else if (signal.kind === "fatal") reject(signal.error);
    });
  });
  const malformed = hub.malformedFrames;
  await hub.close();
  return { out, malformed };
}

/**
 * The reference: eventsource-parser over a streaming TextDecoder, as sse.ts read streams before
 * it was written by hand for speed.
 */
function referenceDecode(chunks: Uint8Array[]): { data: string[]; comments: number } {
  const data: string[] = [];
  let comments = 0;
  const decoder = new TextDecoder("utf-8");
  const parser = createParser({ onEvent: (event) => data.push(event.data), onComment: () => comments++ });
  let endsWithCr = false;
  const feed = (text: string) => {
    if (text === "") return;
    parser.feed(text);
    endsWithCr = text.endsWith("\r");
  };
  for (const chunk of chunks) feed(decoder.decode(chunk, { stream: true }));
  feed(decoder.decode());
  if (endsWithCr) parser.feed("\n"); // a final `\r` ends its line all the same
  return { data, comments };
}

function decodeCounting(chunks: Uint8Array[]): { data: string[]; comments: number } {
  let comments = 0;
  const decoder = new SseDecoder(() => comments++);
  const data = [...chunks.flatMap((chunk) => decoder.push(chunk)), ...decoder.end()];
  return { data, comments };
}

const recording = fc.constantFrom(...RECORDINGS);
const cuts = fc.array(fc.nat(), { maxLength: 40 });

describe("SseDecoder against eventsource-parser", () => {
  test("property: the same events and comments from any bytes, however cut", () => {
    // Lines of SSE fields (right and nearly right) with values of any bytes (multi-byte, broken
    // UTF-8, stray CR and LF), every line ending, many blank lines, maybe a BOM first.
    const utf8 = (text: string) => new TextEncoder().encode(text);
    const field = fc.constantFrom(
      "data",
      "data:",
      "data: ",
      "data:  ",
      "Data: ",
      "dat",
      ":",
      ": ping",
      "event: ",
      "id: ",
      "retry: ",
      "\uFEFFdata: ",
      "",
    );
    const value = fc.oneof(
      fc.string({ unit: "binary", maxLength: 8 }).map(utf8),
      fc.uint8Array({ maxLength: 4 }),
      fc.constantFrom(
        Uint8Array.of(0xe2, 0x82),
        Uint8Array.of(0xf0, 0x9f, 0x98),
        Uint8Array.of(0xc3),
        Uint8Array.of(0xff, 0xfe),
        utf8("😀é€"),
      ),
    );
    const line = fc.tuple(field, value, fc.constantFrom("\n", "\r", "\r\n"), fc.boolean());
    const stream = fc
      .tuple(fc.boolean(), fc.array(line, { maxLength: 12 }))
      .map(([bom, lines]) =>
        Uint8Array.from([
          ...(bom ? [0xef, 0xbb, 0xbf] : []),
          ...lines.flatMap(([f, v, ending, blankAfter]) => [...utf8(f), ...v, ...utf8(ending), ...(blankAfter ? utf8(ending) : [])]),
        ]),
      );
    fc.assert(
      fc.property(stream, cuts, (bytes, positions) => {
        assert.deepEqual(decodeCounting(cutAt(bytes, positions)), referenceDecode([bytes]));
      }),
      { numRuns: 3_000 },
    );
  });
});

describe("recorded OpenCode streams, cut anywhere", () => {
  test("property: the SSE decoder gives every recording's frames, whatever the cuts", () => {
    const whole = new Map(RECORDINGS.map((name) => [name, decode([recordingBytes(name)])]));
    for (const [name, frames] of whole) assert.equal(frames.length, recordedEvents(name).length, `${name}: one event per frame`);
    fc.assert(
      fc.property(recording, cuts, (name, positions) => {
        assert.deepEqual(decode(cutAt(recordingBytes(name), positions)), whole.get(name));
      }),
      { numRuns: 300 },
    );
  });

  test("property: hub + translator give the same AgentEvents, whatever the cuts", async () => {
    const whole = new Map<string, AgentEvent[]>();
    for (const name of RECORDINGS) whole.set(name, (await throughHub(name, [recordingBytes(name)])).out);
    assert.ok(
      [...whole.values()].some((out) => out.some((e) => e.type === "message")),
      "the recordings stream text",
    );
    await fc.assert(
      fc.asyncProperty(recording, cuts, async (name, positions) => {
        const { out, malformed } = await throughHub(name, cutAt(recordingBytes(name), positions));
        assert.deepEqual(out, whole.get(name));
        assert.equal(malformed, 0);
      }),
      { numRuns: 300 },
    );
  });

  test("property: garbage frames between the real ones change nothing but the malformed count", async () => {
    const garbage = fc.oneof(
      fc.constantFrom("not json", '{"type":"message.part.delta","properties":{"sessionID":"ses_', "null", "[1,2]", "42", '{"no":"type"}'),
      fc.string({ unit: "binary", maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, " ")),
    );
    await fc.assert(
      fc.asyncProperty(recording, fc.array(fc.tuple(fc.nat(), garbage), { maxLength: 6 }), cuts, async (name, inserts, positions) => {
        const frames = new TextDecoder().decode(recordingBytes(name)).split(/(?<=\n\n)/);
        let malformedExpected = 0;
        for (const [at, text] of inserts) {
          frames.splice(at % (frames.length + 1), 0, `data: ${text}\n\n`);
          if (!isEvent(text)) malformedExpected++;
        }
        const { out, malformed } = await throughHub(name, cutAt(new TextEncoder().encode(frames.join("")), positions));
        const { out: clean } = await throughHub(name, [recordingBytes(name)]);
        assert.deepEqual(out, clean);
        assert.equal(malformed, malformedExpected);
      }),
      { numRuns: 100 },
    );
  });
});

/** What the hub takes for an event: JSON with a string `type`. */
function isEvent(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
  } catch {
    return false;
  }
}
