import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AgentEvent, doneEvent } from "../../src/agent/events.js";
import { driveRun } from "../../src/agent/run-driver.js";
import { FakeBackend } from "../support/fake-backend.js";

const permission: AgentEvent = {
  type: "permission_request",
  content: "bash: rm -rf /tmp/x",
  metadata: { id: "per_1", permission: "bash", patterns: ["rm *"], always: ["rm *"], sessionId: "ses_1" },
};

async function drive(backend: FakeBackend, options: Partial<Parameters<typeof driveRun>[2]> = {}) {
  const events: AgentEvent[] = [];
  const outcome = await driveRun(backend, "hi", { onEvent: (e) => void events.push(e), ...options });
  return { events, outcome, types: events.map((e) => e.type) };
}

describe("the run driver", () => {
  test("hands every event on in order and reports the outcome", async () => {
    const { types, outcome } = await drive(new FakeBackend());
    assert.deepEqual(types, ["message", "done"]);
    assert.deepEqual(outcome, { failure: undefined, stopped: false, sessionId: undefined, usage: outcome.usage });
  });

  test("a backend that throws mid-run still ends with error, then done", async () => {
    const backend = new FakeBackend(async function* () {
      yield { type: "message", content: "half", metadata: { partId: "p", messageId: "m" } };
      throw new Error("boom");
    });
    const { events, outcome } = await drive(backend);
    assert.deepEqual(
      events.map((e) => e.type),
      ["message", "error", "done"],
    );
    assert.match(events[1]!.content, /failed inside pocketpaw: boom/);
    assert.equal(outcome.failure, "unknown");
    assert.equal(events[2]!.type === "done" && events[2]!.metadata.reason, "error");
  });

  test("a run that ends without done gets one; nothing follows done", async () => {
    const silent = await drive(new FakeBackend(async function* () {}));
    assert.deepEqual(silent.types, ["done"]);
    const chatty = await drive(
      new FakeBackend(async function* () {
        yield doneEvent({ stopped: false, failed: false });
        yield { type: "message", content: "late", metadata: { partId: "p", messageId: "m" } };
      }),
    );
    assert.deepEqual(chatty.types, ["done"]);
  });

  test("a run stopped by its signal that ends without done is marked stopped", async () => {
    const stopper = new AbortController();
    stopper.abort();
    const { events, outcome } = await drive(new FakeBackend(async function* () {}), { run: { signal: stopper.signal } });
    assert.equal(events[0]!.type === "done" && events[0]!.metadata.reason, "stopped");
    assert.equal(outcome.stopped, true);
  });

  test("the front's permission policy answers, and the answer reaches the backend", async () => {
    const backend = new FakeBackend(async function* (_m, _o, self) {
      yield permission;
      const reply = await self.replyTo("per_1");
      yield { type: "message", content: `replied ${reply}`, metadata: { partId: "p", messageId: "m" } };
      yield doneEvent({ stopped: false, failed: false });
    });
    const told: string[] = [];
    const { events } = await drive(backend, {
      permissions: async () => ({ reply: "always", how: "test" }),
      onPermissionAnswer: (_e, a) => told.push(`${a.reply} by ${a.how}`),
    });
    assert.deepEqual(backend.replies, [{ id: "per_1", reply: "always" }]);
    assert.deepEqual(told, ["always by test"]);
    assert.equal(events[1]!.content, "replied always");
  });

  test("without a policy, permission requests are left for someone else", async () => {
    const backend = new FakeBackend(async function* () {
      yield permission;
      yield doneEvent({ stopped: false, failed: false });
    });
    await drive(backend);
    assert.deepEqual(backend.replies, []);
  });

  test("a reply the server refuses is reported, and the run goes on", async () => {
    const backend = new FakeBackend(async function* () {
      yield { ...permission, metadata: { ...permission.metadata, id: "per_missing" } } as AgentEvent;
      yield doneEvent({ stopped: false, failed: false });
    });
    const failures: string[] = [];
    const { types } = await drive(backend, {
      permissions: async () => ({ reply: "once", how: "t" }),
      onReplyFailed: (e) => failures.push(e.message),
    });
    assert.deepEqual(types, ["permission_request", "done"]);
    assert.deepEqual(failures, ["No permission request per_missing."]);
  });
});
