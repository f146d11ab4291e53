// A large OpenCode `/event` stream for the benchmarks, built from the shapes of streams recorded
// from the real server (test/fixtures/recordings): every event is a recorded event of the same
// kind with fresh ids, texts and times, so field order, sizes and nesting are the server's own.
//
// One turn: the user's message, then `steps` assistant messages, each streaming a text part of
// `deltasPerStep` deltas (10-40 characters, a few multi-byte) and, but the last, running a bash
// tool (pending → running → running with output → completed), with the session and diff updates
// and heartbeats the server interleaves. Optionally a second conversation's deltas are mixed in,
// which the client must route away (the demultiplexer's work).

import type { OcEvent } from "../src/opencode/rest/wire.js";
import { recordedEvents } from "../test/support/recordings.js";

export interface TurnShape {
  sessionId: string;
  userMessageId: string;
  steps: number;
  deltasPerStep: number;
  /** One delta of another session after every `noiseEvery` of ours (0: none). */
  noiseEvery?: number;
  /** Seed of the text generator: the same shape gives the same bytes. */
  seed?: number;
}

/** What the turn holds, for checking a client delivered all of it. */
export interface TurnSummary {
  events: number;
  bytes: number;
  deltas: number;
  /** Characters (UTF-16 units) of the conversation's own text deltas. */
  textChars: number;
  toolResults: number;
}

type Json = Record<string, any>;

/** The first recorded event of each kind a turn needs, as mutable templates. */
function loadTemplates() {
  const events = [...recordedEvents("events-tool-bash.sse"), ...recordedEvents("events-text.sse")];
  const find = (what: string, test: (e: OcEvent, p: Json) => boolean): Json => {
    const found = events.find((e) => test(e, e.properties as Json));
    if (!found) throw new Error(`no recorded ${what} event to build the benchmark stream from`);
    return structuredClone(found) as Json;
  };
  const part = (type: string, status?: string) => (e: OcEvent, p: Json) =>
    e.type === "message.part.updated" && p.part?.type === type && (status === undefined || p.part?.state?.status === status);
  return {
    user: find("user message", (e, p) => e.type === "message.updated" && p.info?.role === "user"),
    userText: find("user text part", (e, p) => part("text")(e, p) && !p.part.time),
    assistant: find("assistant message", (e, p) => e.type === "message.updated" && p.info?.role === "assistant" && !p.info.time?.completed),
    stepStart: find("step-start", part("step-start")),
    text: find("text part", (e, p) => part("text")(e, p) && p.part.time?.start !== undefined),
    delta: find("delta", (e) => e.type === "message.part.delta"),
    toolPending: find("pending tool", part("tool", "pending")),
    toolRunning: find("running tool", part("tool", "running")),
    toolCompleted: find("completed tool", part("tool", "completed")),
    stepFinish: find("step-finish", part("step-finish")),
    busy: find("busy status", (e, p) => e.type === "session.status" && p.status?.type === "busy"),
    idle: find("idle status", (e, p) => e.type === "session.status" && p.status?.type === "idle"),
    sessionIdle: find("session.idle", (e) => e.type === "session.idle"),
    sessionUpdated: find("session.updated", (e) => e.type === "session.updated"),
    diff: find("session.diff", (e) => e.type === "session.diff"),
    heartbeat: find("heartbeat", (e) => e.type === "server.heartbeat"),
  };
}

let templates: ReturnType<typeof loadTemplates> | undefined;

/** mulberry32: a small deterministic PRNG, so every run replays the same bytes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  "the of and to in is that for it as with was on be by this are from or have an they which one you were all we can her has there been if more when will would who so no".split(
    " ",
  );
const RARE = ["é", "ü", "漢字", "😀", "—", "ß"];

/** OpenCode-style ids: prefix, 12 hex digits that ascend, 14 base62 characters (30 in all). */
function idMaker(prefix: string, start: number): () => string {
  let n = start;
  return () => `${prefix}_${(n++).toString(16).padStart(12, "0")}${"aB3dE5gH7jK9mN".slice(0, 14)}`;
}

/** SSE frames of one turn, in the server's order; `summary` is filled in as they are produced. */
export function* turnFrames(shape: TurnShape, summary: TurnSummary = emptySummary()): Generator<string> {
  templates ??= loadTemplates();
  const t = templates;
  const rnd = random(shape.seed ?? 1);
  const sid = shape.sessionId;
  const otherSid = `${sid.slice(0, -5)}other`;
  const evt = idMaker("evt", 0x2126_0000_0000);
  const msg = idMaker("msg", 0x2127_0000_0000);
  const prt = idMaker("prt", 0x2128_0000_0000);
  let clock = 1_795_600_000_000;

  const frame = (event: Json): string => {
    event.id = evt();
    const text = `data: ${JSON.stringify(event)}\n\n`;
    summary.events++;
    summary.bytes += Buffer.byteLength(text);
    return text;
  };
  const deltaText = (): string => {
    const target = 10 + Math.floor(rnd() * 31);
    let s = "";
    while (s.length < target) s += `${rnd() < 0.03 ? RARE[Math.floor(rnd() * RARE.length)] : WORDS[Math.floor(rnd() * WORDS.length)]} `;
    return s.slice(0, target);
  };
  // Deltas are nearly all of the stream: their frame is the recorded one cut around its id and
  // text once per part, so that a million can be written faster than a client reads them.
  let deltaFrame = { partID: "", pieces: [] as string[] };
  const delta = (sessionID: string, messageID: string, partID: string, text: string): string => {
    if (deltaFrame.partID !== partID) {
      const p = t.delta.properties;
      Object.assign(p, { sessionID, messageID, partID, delta: "\u0001delta" });
      deltaFrame = { partID, pieces: `data: ${JSON.stringify({ ...t.delta, id: "\u0001id" })}\n\n`.split(/"\\u0001(?:id|delta)"/) };
    }
    const [head, middle, tail] = deltaFrame.pieces as [string, string, string];
    const out = `${head}"${evt()}"${middle}${JSON.stringify(text)}${tail}`;
    summary.events++;
    summary.bytes += Buffer.byteLength(out);
    return out;
  };
  const part = (template: Json, fields: Json): string => {
    template.properties.sessionID = sid;
    Object.assign(template.properties.part, { sessionID: sid }, fields);
    template.properties.time = ++clock;
    return frame(template);
  };
  const message = (template: Json, fields: Json): string => {
    template.properties.sessionID = sid;
    Object.assign(template.properties.info, { sessionID: sid }, fields);
    return frame(template);
  };
  const session = (template: Json): string => {
    template.properties.sessionID = sid;
    if (template.properties.info) template.properties.info.id = sid;
    return frame(template);
  };

  yield message(t.user, { id: shape.userMessageId, time: { created: clock } });
  yield part(t.userText, { id: prt(), messageID: shape.userMessageId, text: "benchmark prompt" });
  yield session(t.busy);
  yield session(t.sessionUpdated);

  const otherMessage = msg();
  const otherPart = prt();
  let sinceNoise = 0;
  for (let step = 0; step < shape.steps; step++) {
    const last = step === shape.steps - 1;
    const messageId = msg();
    const created = ++clock;
    const info = { id: messageId, parentID: shape.userMessageId, time: { created }, finish: undefined };
    yield message(t.assistant, info);
    yield session(t.busy);
    yield part(t.stepStart, { id: prt(), messageID: messageId });
    const textId = prt();
    yield part(t.text, { id: textId, messageID: messageId, text: "", time: { start: clock } });
    let text = "";
    for (let i = 0; i < shape.deltasPerStep; i++) {
      const piece = deltaText();
      text += piece;
      summary.deltas++;
      summary.textChars += piece.length;
      yield delta(sid, messageId, textId, piece);
      if (shape.noiseEvery && ++sinceNoise >= shape.noiseEvery) {
        sinceNoise = 0;
        yield delta(otherSid, otherMessage, otherPart, deltaText());
      }
    }
    yield part(t.text, { id: textId, messageID: messageId, text, time: { start: created, end: ++clock } });
    if (!last) {
      const toolId = prt();
      const callID = `call_${step}`;
      const command = `ls -la src/step-${step}`;
      const output = Array.from({ length: 12 }, (_, i) => `-rw-r--r-- 1 user user ${1000 + i} file-${step}-${i}.ts`).join("\n");
      const input = { command, description: "list the files" };
      const tool = { id: toolId, messageID: messageId, tool: "bash", callID };
      yield part(t.toolPending, { ...tool, state: { status: "pending", input: {}, raw: "" } });
      yield part(t.toolRunning, { ...tool, state: { status: "running", input, time: { start: clock } } });
      yield part(t.toolRunning, { ...tool, state: { status: "running", input, metadata: { output }, time: { start: clock } } });
      yield part(t.toolCompleted, {
        ...tool,
        state: {
          status: "completed",
          input,
          output,
          metadata: { output, exit: 0, truncated: false },
          title: command,
          time: { start: clock, end: ++clock },
        },
      });
      summary.toolResults++;
    }
    yield part(t.stepFinish, { id: prt(), messageID: messageId, reason: last ? "stop" : "tool-calls" });
    const done = { ...info, time: { created, completed: ++clock }, finish: last ? "stop" : "tool-calls" };
    yield message(t.assistant, done);
    yield message(t.assistant, done);
    yield session(t.sessionUpdated);
    yield session(t.diff);
    yield frame(t.heartbeat);
  }
  yield session(t.busy);
  yield session(t.idle);
  yield session(t.sessionIdle);
  yield message(t.user, { id: shape.userMessageId, time: { created: clock } });
}

export function emptySummary(): TurnSummary {
  return { events: 0, bytes: 0, deltas: 0, textChars: 0, toolResults: 0 };
}

/** The frame the server sends first on every `/event` connection. */
export const CONNECTED_FRAME = `data: ${JSON.stringify({ id: "evt_connected", type: "server.connected", properties: {} })}\n\n`;
