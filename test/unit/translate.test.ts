import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { AgentEvent } from "../../src/agent/events.js";
import type { OcEvent, OcMessage, OcMessageInfo, OcPart } from "../../src/opencode/rest/wire.js";
import { TurnTranslator } from "../../src/opencode/translate/translate.js";
import { recordedEvents } from "../support/recordings.js";

/** The first prompt of a recording: its session and user message (what the backend would know). */
function firstTurn(events: OcEvent[]): { sessionId: string; userMessageId: string } {
  for (const e of events) {
    const info = e.properties.info as OcMessageInfo | undefined;
    if (e.type === "message.updated" && info?.role === "user") return { sessionId: info.sessionID, userMessageId: info.id };
  }
  throw new Error("no user message in the recording");
}

function translate(name: string, setup?: (t: TurnTranslator) => void) {
  const events = recordedEvents(name);
  const translator = new TurnTranslator(firstTurn(events));
  setup?.(translator);
  const out: AgentEvent[] = [];
  let end = 0;
  while (end < events.length && !translator.complete) out.push(...translator.handle(events[end++] as OcEvent));
  // The recording as far as the first run goes (some hold later prompts too).
  return { translator, out, events: events.slice(0, end) };
}

const textOf = (out: AgentEvent[]) =>
  out
    .filter((e) => e.type === "message")
    .map((e) => e.content)
    .join("");
const ofType = <T extends AgentEvent["type"]>(out: AgentEvent[], type: T) =>
  out.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type);

/** What `GET /session/{id}/message` would have answered after the first `upTo` events. */
function storageAt(events: OcEvent[], upTo: number, sessionId: string): OcMessage[] {
  const infos = new Map<string, OcMessageInfo>();
  const parts = new Map<string, OcPart[]>();
  for (const e of events.slice(0, upTo)) {
    if (e.type === "message.updated") {
      const info = e.properties.info as OcMessageInfo;
      if (info.sessionID === sessionId) infos.set(info.id, info);
    } else if (e.type === "message.part.updated") {
      const part = e.properties.part as OcPart;
      if (part.sessionID !== sessionId) continue;
      // The server stores a streaming text part as "" until it has ended.
      const stored = part.type === "text" && part.time?.end === undefined ? { ...part, text: "" } : part;
      const list = parts.get(part.messageID) ?? [];
      const at = list.findIndex((p) => p.id === part.id);
      if (at >= 0) list[at] = stored;
      else list.push(stored);
      parts.set(part.messageID, list);
    }
  }
  return [...infos.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((info) => ({ info, parts: parts.get(info.id) ?? [] }));
}

describe("translator on streams recorded from the real server", () => {
  test("plain text: deltas in order, equal to the stored text, usage once, complete", () => {
    const { out, translator, events } = translate("events-text.sse");
    assert.ok(translator.complete);
    const messages = ofType(out, "message");
    assert.ok(messages.length > 1, "streamed in more than one chunk");
    const finalText = events
      .filter((e) => e.type === "message.part.updated")
      .map((e) => e.properties.part as OcPart)
      .find((p) => p.type === "text" && p.time?.end && p.messageID === messages[0]?.metadata.messageId)?.text;
    assert.equal(textOf(out), finalText);
    assert.equal(ofType(out, "token_usage").length, 1);
    assert.equal(ofType(out, "error").length, 0);
  });

  test("bash tool: tool_use with the real input, whole output, then the second step's text", () => {
    const { out, translator } = translate("events-tool-bash.sse");
    assert.ok(translator.complete);
    assert.equal(translator.turns, 2);
    const [use] = ofType(out, "tool_use");
    assert.deepEqual(use?.metadata.input, { command: "echo hi", description: "say hi" });
    assert.equal(use?.metadata.name, "bash");
    assert.equal(use?.content, "bash echo hi");
    const [result] = ofType(out, "tool_result");
    assert.equal(result?.content, "hi\n");
    assert.equal(result?.metadata.isError, false);
    assert.equal(result?.metadata.callId, use?.metadata.callId);
    assert.equal(textOf(out), "Tool result received: hi\n");
    assert.equal(ofType(out, "token_usage").length, 2);
    assert.deepEqual(
      out.map((e) => e.type).filter((t) => t !== "message"),
      ["status", "tool_use", "tool_result", "token_usage", "token_usage"],
    );
  });

  test("permission: the request becomes permission_request with id and patterns", () => {
    const { out } = translate("events-tool-bash-permission.sse");
    const [ask] = ofType(out, "permission_request");
    assert.ok(ask?.metadata.id.startsWith("per_"));
    assert.equal(ask?.metadata.permission, "bash");
    assert.deepEqual(ask?.metadata.patterns, ["echo hello-from-tool"]);
  });

  test("abort we asked for: no error, the text so far, complete only after the final update", () => {
    const { out, translator } = translate("events-abort.sse", (t) => {
      t.requestStop();
    });
    assert.ok(translator.complete);
    assert.equal(ofType(out, "error").length, 0);
    assert.equal(textOf(out), "w0 w1 w2 w3 w4 ");
  });

  test("abort by someone else is an error of code aborted", () => {
    const { out } = translate("events-abort.sse");
    assert.deepEqual(
      ofType(out, "error").map((e) => e.metadata.code),
      ["aborted"],
    );
  });

  test("provider 400: one error (session.error and info.error are the same failure)", () => {
    const { out, translator } = translate("events-provider-400.sse");
    assert.ok(translator.complete);
    const errors = ofType(out, "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.metadata.code, "provider");
    assert.equal(errors[0]?.metadata.statusCode, 400);
    assert.match(errors[0]?.content ?? "", /fake 400 failure/);
  });

  test("an attached image the server cannot decode: the error without the server's stack, and the run ends once storage says the prompt is not there", () => {
    const events = recordedEvents("events-image-undecodable.sse");
    const sessionId = (events.find((e) => e.type === "session.error")?.properties.sessionID as string) ?? "";
    const translator = new TurnTranslator({ sessionId, userMessageId: "msg_ffffffffffffUndecodable1" });
    const out = events.flatMap((e) => translator.handle(e));
    const errors = ofType(out, "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.metadata.code, "bad_request");
    assert.match(errors[0]?.content ?? "", /could not decode an attached image, so the message was not sent/);
    assert.doesNotMatch(errors[0]?.content ?? "", /\bat |bunfs/, "no stack trace");
    // Nothing more comes on the stream (no idle: the session never got busy): storage is asked.
    assert.equal(translator.complete, false);
    assert.equal(translator.idleButIncomplete, true);
    assert.equal(translator.resync([], true, true).length, 0);
    assert.equal(translator.complete, false, "still busy on the server: not over");
    translator.resync([], false, false);
    assert.equal(translator.complete, false, "idle, but not yet settled");
    translator.resync([], false, true);
    assert.equal(translator.complete, true);
  });

  test("a server error's stack trace is left out of any error it reports", () => {
    const translator = new TurnTranslator({ sessionId: "ses_1", userMessageId: "msg_1" });
    const [error] = translator.handle({
      type: "session.error",
      properties: {
        sessionID: "ses_1",
        error: { name: "UnknownError", data: { message: "Boom: it broke\n    at run (/$bunfs/root/x.js:1:2)\n    at y" } },
      },
    });
    assert.equal(error?.content, "OpenCode reported UnknownError: Boom: it broke.");
  });

  test("provider 500: retry statuses with attempt numbers, then the error", () => {
    const { out } = translate("events-provider-500-retries.sse");
    const retries = ofType(out, "status").filter((e) => e.metadata.state === "retrying");
    assert.deepEqual(
      retries.map((e) => (e.metadata.state === "retrying" ? e.metadata.attempt : 0)),
      [1, 2, 3, 4, 5],
    );
    assert.equal(ofType(out, "error")[0]?.metadata.code, "provider");
  });

  test("two prompts on one session: the first run ends with its own answer only", () => {
    const { out, translator, events } = translate("events-two-prompts-one-session.sse");
    assert.ok(translator.complete);
    const second = events
      .filter((e) => e.type === "message.updated" && (e.properties.info as OcMessageInfo).role === "user")
      .map((e) => (e.properties.info as OcMessageInfo).id);
    assert.ok(new Set(second).size >= 2, "the recording holds two prompts");
    const ids = new Set(ofType(out, "message").map((e) => e.metadata.messageId));
    assert.equal(ids.size, 1);
  });

  test("unknown event types and malformed payloads pass by", () => {
    const t = new TurnTranslator({ sessionId: "ses_1", userMessageId: "msg_1" });
    assert.deepEqual(t.handle({ type: "brand.new.event", properties: { sessionID: "ses_1", x: 1 } }), []);
    assert.deepEqual(t.handle({ type: "message.updated", properties: {} }), []);
    assert.deepEqual(t.handle({ type: "message.part.delta", properties: { sessionID: "ses_1", delta: 5 } }), []);
    assert.deepEqual(t.handle({ type: "message.part.updated", properties: { part: "nope" } }), []);
  });
});

describe("translator across a gap in the stream", () => {
  for (const name of ["events-text.sse", "events-tool-bash.sse"]) {
    test(`${name}: any lost window, then a resync, delivers exactly the stored text and tools`, () => {
      const { out: whole, events } = translate(name);
      const turn = firstTurn(events);
      fc.assert(
        fc.property(fc.nat(events.length), fc.nat(events.length), fc.boolean(), (a, b, resyncAtEnd) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const t = new TurnTranslator(turn);
          const out: AgentEvent[] = [];
          for (const e of events.slice(0, from)) out.push(...t.handle(e));
          t.markGap();
          out.push(...t.resync(storageAt(events, to, turn.sessionId), true));
          for (const e of events.slice(to)) out.push(...t.handle(e));
          // Reading storage at the end (after idle) is what the backend does when unsure.
          if (resyncAtEnd || !t.complete) out.push(...t.resync(storageAt(events, events.length, turn.sessionId), false));
          assert.equal(textOf(out), textOf(whole), `lost events ${from}..${to}`);
          assert.deepEqual(
            ofType(out, "tool_result").map((e) => e.content),
            ofType(whole, "tool_result").map((e) => e.content),
          );
          assert.deepEqual(
            ofType(out, "tool_use").map((e) => e.metadata.callId),
            ofType(whole, "tool_use").map((e) => e.metadata.callId),
          );
          assert.ok(t.complete);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe("a step left open by the server (1.14.34: an abort landing as a step begins)", () => {
  const sessionID = "ses_1";
  const user: OcMessageInfo = { id: "msg_1", sessionID, role: "user" };
  const done: OcMessageInfo = {
    id: "msg_2",
    sessionID,
    role: "assistant",
    parentID: "msg_1",
    time: { created: 1, completed: 2 },
    finish: "tool-calls",
  };
  const open: OcMessageInfo = { id: "msg_3", sessionID, role: "assistant", parentID: "msg_1", time: { created: 3 } };
  const stream: OcEvent[] = [
    ...[user, done, open].map((info) => ({ type: "message.updated", properties: { sessionID, info } })),
    { type: "session.status", properties: { sessionID, status: { type: "idle" } } },
    { type: "session.idle", properties: { sessionID } },
  ];
  const storage: OcMessage[] = [user, done, open].map((info) => ({ info, parts: [] }));

  function afterIdle(setup?: (t: TurnTranslator) => void): TurnTranslator {
    const t = new TurnTranslator({ sessionId: sessionID, userMessageId: "msg_1" });
    setup?.(t);
    for (const e of stream) t.handle(e);
    assert.ok(t.idleButIncomplete);
    return t;
  }

  test("a resync right after idle does not end a run nobody stopped", () => {
    const t = afterIdle();
    t.resync(storage, false);
    assert.equal(t.complete, false);
  });

  test("a stopped run ends once storage and status say idle", () => {
    const t = afterIdle((t) => {
      t.requestStop();
    });
    t.resync(storage, false);
    assert.equal(t.complete, true);
  });

  test("a run idle for the settle period ends, unless the server says it is busy", () => {
    const busy = afterIdle();
    busy.resync(storage, true, true);
    assert.equal(busy.complete, false);
    const idle = afterIdle();
    idle.resync(storage, false, true);
    assert.equal(idle.complete, true);
  });
});
