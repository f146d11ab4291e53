import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BackendError } from "../../src/agent/errors.js";
import { type AgentEvent, doneEvent } from "../../src/agent/events.js";
import { dashboardApp } from "../../src/web/app.js";
import { ConversationRuns } from "../../src/web/runs.js";
import { FakeBackend } from "../support/fake-backend.js";

/** The HTTP API on a fake backend, through Hono's in-process requests: no server, no socket. */
function apiOn(backend: FakeBackend) {
  const runs = new ConversationRuns(backend);
  const app = dashboardApp({ backend, runs, version: "test", model: "", token: "", loopback: true });
  const call = (path: string, init: RequestInit = {}) =>
    app.request(`http://127.0.0.1${path}`, {
      ...init,
      headers: { host: "127.0.0.1", ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
    });
  return { app, runs, call };
}

/** The AgentEvents of an SSE answer. */
async function eventsOf(response: Response): Promise<AgentEvent[]> {
  const text = await response.text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as AgentEvent);
}

describe("the HTTP API on a fake backend", () => {
  test("a message streams the run's events, done last; the conversation is then listed", async () => {
    const backend = new FakeBackend();
    const { call } = apiOn(backend);
    const answer = await call("/api/conversations/telegram:7/messages", {
      method: "POST",
      body: JSON.stringify({ text: "hello", model: "fake/one" }),
    });
    assert.equal(answer.status, 200);
    const events = await eventsOf(answer);
    assert.deepEqual(
      events.map((e) => e.type),
      ["message", "done"],
    );
    assert.equal(events[0]!.content, "echo: hello");
    assert.equal(backend.runs[0]!.options.sessionKey, "telegram:7");
    assert.equal(backend.runs[0]!.options.model, "fake/one");
    const list = (await (await call("/api/conversations")).json()) as { conversations: Array<{ key: string; running: boolean }> };
    assert.deepEqual(
      list.conversations.map((c) => [c.key, c.running]),
      [["telegram:7", false]],
    );
  });

  test("a backend that throws still gives the client an error and a done", async () => {
    const { call } = apiOn(
      // biome-ignore lint/correctness/useYield: a run that fails before its first event
      new FakeBackend(async function* () {
        throw new Error("broken");
      }),
    );
    const events = await eventsOf(await call("/api/conversations/web:1/messages", { method: "POST", body: JSON.stringify({ text: "x" }) }));
    assert.deepEqual(
      events.map((e) => e.type),
      ["error", "done"],
    );
  });

  test("rename and forget go through the backend; unknown conversations are 404", async () => {
    const backend = new FakeBackend();
    const { call } = apiOn(backend);
    await (await call("/api/conversations/web:2/messages", { method: "POST", body: JSON.stringify({ text: "first" }) })).text();
    const renamed = await call("/api/conversations/web:2", { method: "PATCH", body: JSON.stringify({ title: "Renamed" }) });
    assert.equal(renamed.status, 200);
    assert.equal(backend.get("web:2")?.title, "Renamed");
    assert.equal((await call("/api/conversations/web:2", { method: "DELETE" })).status, 200);
    assert.equal(backend.get("web:2"), undefined);
    const missing = await call("/api/conversations/web:none", { method: "PATCH", body: JSON.stringify({ title: "x" }) });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "not_found");
  });

  test("a permission answer reaches the backend; one the server does not know is a 404", async () => {
    const backend = new FakeBackend(async function* (_m, _o, self) {
      yield {
        type: "permission_request",
        content: "bash",
        metadata: { id: "per_9", permission: "bash", patterns: [], always: [], sessionId: "s" },
      };
      const reply = await self.replyTo("per_9");
      yield { type: "message", content: reply, metadata: { partId: "p", messageId: "m" } };
      yield doneEvent({ stopped: false, failed: false });
    });
    const { call } = apiOn(backend);
    const streaming = call("/api/conversations/web:3/messages", { method: "POST", body: JSON.stringify({ text: "go" }) });
    const answered = await call("/api/permissions/per_9", { method: "POST", body: JSON.stringify({ reply: "reject" }) });
    assert.equal(answered.status, 200);
    const events = await eventsOf(await streaming);
    assert.equal(events.find((e) => e.type === "message")?.content, "reject");
    const unknown = await call("/api/permissions/per_missing", { method: "POST", body: JSON.stringify({ reply: "once" }) });
    assert.equal(unknown.status, 404);
  });

  test("health says what is wrong when the backend's server is down; models come from the backend", async () => {
    const backend = new FakeBackend();
    backend.down = new BackendError("unreachable", "Cannot reach the server.");
    const { call } = apiOn(backend);
    const health = (await (await call("/api/health")).json()) as { ok: boolean; opencode: { error: { code: string } } };
    assert.equal(health.ok, false);
    assert.equal(health.opencode.error.code, "unreachable");
    const models = (await (await call("/api/models")).json()) as { models: Array<{ id: string }> };
    assert.deepEqual(
      models.models.map((m) => m.id),
      ["fake/one"],
    );
  });

  test("the OpenAPI document lists every event type and error code from the one source", async () => {
    const { call } = apiOn(new FakeBackend());
    const doc = (await (await call("/api/openapi.json")).json()) as {
      components: { schemas: { AgentEvent: { properties: { type: { enum: string[] } }; description: string } } };
    };
    const { AGENT_EVENT_TYPES, ERROR_CODES } = await import("../../src/agent/events.js");
    assert.deepEqual(doc.components.schemas.AgentEvent.properties.type.enum, [...AGENT_EVENT_TYPES]);
    for (const code of ERROR_CODES) assert.ok(doc.components.schemas.AgentEvent.description.includes(code), code);
  });
});
