import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_ATTACHMENT_BYTES } from "../../src/agent/backend.js";
import { type AgentEvent, doneEvent } from "../../src/agent/events.js";
import { dashboardApp } from "../../src/web/app.js";
import { ConversationRuns } from "../../src/web/runs.js";
import { MAX_MESSAGE_BODY_BYTES } from "../../src/web/schemas.js";
import { FakeBackend, type Script } from "../support/fake-backend.js";

/** The routes for agents, commands, files, questions, diffs, undo/redo/fork/compact on a fake backend, in process. */
function apiOn(backend: FakeBackend) {
  const runs = new ConversationRuns(backend);
  const app = dashboardApp({ backend, runs, version: "test", model: "", token: "", loopback: true });
  const call = (path: string, init: RequestInit = {}) =>
    app.request(`http://127.0.0.1${path}`, {
      ...init,
      headers: { host: "127.0.0.1", ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
    });
  const post = (path: string, body?: unknown) =>
    call(path, { method: "POST", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { runs, call, post };
}

async function eventsOf(response: Response): Promise<AgentEvent[]> {
  return (await response.text())
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as AgentEvent);
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

/** A run that goes on until stopped. */
const endless: Script = async function* (_text, run) {
  yield { type: "status", content: "", metadata: { state: "busy" } };
  if (!run.signal?.aborted) await new Promise((resolve) => run.signal?.addEventListener("abort", resolve));
  yield doneEvent({ stopped: true, failed: false });
};

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("agents and commands", () => {
  test("GET /api/agents and /api/commands list the backend's", async () => {
    const { call } = apiOn(new FakeBackend());
    const agents = (await (await call("/api/agents")).json()) as { agents: Array<{ name: string; mode: string }> };
    assert.deepEqual(
      agents.agents.map((a) => [a.name, a.mode]),
      [
        ["build", "primary"],
        ["plan", "primary"],
        ["general", "subagent"],
      ],
    );
    const commands = (await (await call("/api/commands")).json()) as { commands: Array<{ name: string; description: string }> };
    assert.deepEqual(commands.commands, [{ name: "init", description: "Create AGENTS.md" }]);
  });

  test("`agent` reaches the run, is remembered and listed; empty goes back to the default; a malformed one is a 400", async () => {
    const backend = new FakeBackend();
    const { call, post } = apiOn(backend);
    await (await post("/api/conversations/web:a/messages", { text: "hi", agent: "plan" })).text();
    assert.equal(backend.runs[0]?.options.agent, "plan");
    const listed = (await (await call("/api/conversations")).json()) as { conversations: Array<{ key: string; agent: string }> };
    assert.deepEqual(
      listed.conversations.map((c) => [c.key, c.agent]),
      [["web:a", "plan"]],
    );
    const one = (await (await call("/api/conversations/web:a")).json()) as { conversation: { agent: string } };
    assert.equal(one.conversation.agent, "plan");

    await (await post("/api/conversations/web:a/messages", { text: "again" })).text();
    assert.equal(backend.runs[1]?.options.agent, undefined, "absent: the conversation's own");
    const reset = await post("/api/conversations/web:a/messages", { text: "default", agent: "" });
    assert.equal(reset.status, 200);
    await reset.text();
    assert.equal(backend.runs[2]?.options.agent, undefined);
    assert.equal(backend.get("web:a")?.agent, "", "back to the server's default");

    for (const agent of ["bad agent", "<b>", "-x", "a".repeat(101), 3]) {
      const error = await errorOf(await post("/api/conversations/web:a/messages", { text: "x", agent }));
      assert.equal(error.status, 400, String(agent));
      assert.match(error.message, /"agent"/);
    }
    assert.equal(backend.runs.length, 3);
  });

  test("`command` runs a command with `text` as its arguments, which may be empty; a malformed name is a 400", async () => {
    const backend = new FakeBackend();
    const { call, post } = apiOn(backend);
    await (await post("/api/conversations/web:c/messages", { command: "init", text: "" })).text();
    await (await post("/api/conversations/web:c/messages", { command: "review", text: "src/a.ts" })).text();
    assert.deepEqual(
      backend.runs.map((r) => [r.message, r.options.command]),
      [
        ["", "init"],
        ["src/a.ts", "review"],
      ],
    );
    const run = (await (await call("/api/conversations/web:c")).json()) as { run: { text: string } };
    assert.equal(run.run.text, "/review src/a.ts", "shown as typed");
    for (const [body, problem] of [
      [{ command: "/init", text: "" }, /"command"/],
      [{ command: "", text: "" }, /"command"/],
      [{ text: "" }, /"text": empty/],
      [{ text: "   " }, /"text": empty/],
    ] as const) {
      const error = await errorOf(await post("/api/conversations/web:c/messages", body));
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.match(error.message, problem);
    }
  });
});

describe("files", () => {
  test("files are decoded into the run's attachments", async () => {
    const backend = new FakeBackend();
    const { post } = apiOn(backend);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    const files = [
      { name: "notes.md", mime: "text/markdown", data: b64("# Notes\nhéllo\n") },
      { name: "pixel.png", mime: "image/png", data: png.toString("base64") },
      { name: "empty.txt", mime: "text/plain", data: "" },
    ];
    const answer = await post("/api/conversations/web:f/messages", { text: "look", files });
    assert.equal(answer.status, 200);
    await answer.text();
    const sent = backend.runs[0]?.options.files ?? [];
    assert.deepEqual(
      sent.map((f) => [f.name, f.mime, Buffer.from(f.data).toString("hex")]),
      [
        ["notes.md", "text/markdown", Buffer.from("# Notes\nhéllo\n").toString("hex")],
        ["pixel.png", "image/png", png.toString("hex")],
        ["empty.txt", "text/plain", ""],
      ],
    );
    assert.ok(sent.every((f) => f.data instanceof Uint8Array));
  });

  test("bad files are refused before any run: base64, names, media types, count", async () => {
    const backend = new FakeBackend();
    const { post } = apiOn(backend);
    const file = { name: "a.txt", mime: "text/plain", data: b64("a") };
    const cases: Array<[string, unknown, RegExp]> = [
      ["not base64", [{ ...file, data: "not base64!" }], /"files.0.data": expected the file's bytes in base64/],
      ["unpadded", [{ ...file, data: "YQ" }], /"files.0.data"/],
      ["a folder in the name", [{ ...file, name: "../etc/passwd" }], /"files.0.name"/],
      ["a control character in the name", [{ ...file, name: "a\u001b[2J.txt" }], /"files.0.name"/],
      ["an empty name", [{ ...file, name: "  " }], /"files.0.name"/],
      ["a bad media type", [{ ...file, mime: "text" }], /"files.0.mime"/],
      ["an unknown field", [{ ...file, path: "/etc" }], /unknown field "path"/],
      ["too many", Array.from({ length: 11 }, () => file), /"files"/],
    ];
    for (const [what, files, problem] of cases) {
      const error = await errorOf(await post("/api/conversations/web:f/messages", { text: "x", files }));
      assert.equal(error.status, 400, what);
      assert.match(error.message, problem, what);
    }
    assert.equal(backend.runs.length, 0);
  });

  test("a file over the attachment limit is a 413 naming it; one at the limit goes through", async () => {
    const backend = new FakeBackend();
    const { post } = apiOn(backend);
    const big = Buffer.alloc(MAX_ATTACHMENT_BYTES + 1, 7).toString("base64");
    const error = await errorOf(
      await post("/api/conversations/web:big/messages", {
        text: "x",
        files: [{ name: "huge.bin", mime: "application/octet-stream", data: big }],
      }),
    );
    assert.equal(error.status, 413);
    assert.equal(error.code, "payload_too_large");
    assert.match(error.message, /"huge\.bin" is 10 MB: files of at most 10 MB can be attached/);
    const exact = Buffer.alloc(MAX_ATTACHMENT_BYTES, 7).toString("base64");
    const ok = await post("/api/conversations/web:big/messages", {
      text: "x",
      files: [{ name: "max.bin", mime: "application/octet-stream", data: exact }],
    });
    assert.equal(ok.status, 200);
    await ok.text();
    assert.equal(backend.runs[0]?.options.files?.[0]?.data.length, MAX_ATTACHMENT_BYTES);
  });

  test("the larger body limit is only for messages, and bounded", async () => {
    const { call, post } = apiOn(new FakeBackend());
    const rename = await call("/api/conversations/web:x", { method: "PATCH", body: JSON.stringify({ title: "x".repeat(600_000) }) });
    assert.equal((await errorOf(rename)).status, 413, "other routes keep 512 KB");
    const answer = await post("/api/questions/que_1", { answers: [["x".repeat(600_000)]] });
    assert.equal((await errorOf(answer)).status, 413);
    const files = [0, 1].map((i) => ({ name: `${i}.bin`, mime: "application/octet-stream", data: "A".repeat(8 * 1024 * 1024) }));
    const error = await errorOf(await post("/api/conversations/web:x/messages", { text: "x", files }));
    assert.equal(error.status, 413, "two 6 MB files are more than one message holds");
    assert.match(error.message, /larger than 14\.3 MB/);
    assert.ok(MAX_MESSAGE_BODY_BYTES < 16 * 1024 * 1024);
  });
});

describe("questions", () => {
  const asking: Script = async function* (_m, _o, self) {
    yield {
      type: "question",
      content: "Colour?",
      metadata: {
        id: "que_1",
        sessionId: "s",
        questions: [{ question: "Colour?", header: "Colour", options: [{ label: "Red", description: "" }], multiple: false }],
      },
    };
    const answer = await self.answerTo("que_1");
    yield { type: "message", content: JSON.stringify(answer), metadata: { partId: "p", messageId: "m" } };
    yield doneEvent({ stopped: false, failed: false });
  };

  test("answers reach the backend and the run goes on", async () => {
    const backend = new FakeBackend(asking);
    const { post } = apiOn(backend);
    const streaming = post("/api/conversations/web:q/messages", { text: "go" });
    const answered = await post("/api/questions/que_1", { answers: [["Red"], ["typed text", "B"]] });
    assert.equal(answered.status, 200);
    assert.deepEqual(await answered.json(), { id: "que_1", answers: [["Red"], ["typed text", "B"]] });
    const events = await eventsOf(await streaming);
    assert.equal(events.find((e) => e.type === "message")?.content, '[["Red"],["typed text","B"]]');
    assert.deepEqual(backend.answers, [{ id: "que_1", answer: [["Red"], ["typed text", "B"]] }]);
  });

  test("reject reaches the backend as a refusal", async () => {
    const backend = new FakeBackend(asking);
    const { post } = apiOn(backend);
    const streaming = post("/api/conversations/web:q2/messages", { text: "go" });
    const rejected = await post("/api/questions/que_1", { reject: true });
    assert.deepEqual(await rejected.json(), { id: "que_1", reject: true });
    const events = await eventsOf(await streaming);
    assert.equal(events.find((e) => e.type === "message")?.content, '"reject"');
  });

  test("exactly one of answers and reject, well formed; an unknown question is a 404", async () => {
    const backend = new FakeBackend();
    const { post } = apiOn(backend);
    const bad: Array<[unknown, RegExp]> = [
      [{}, /either "answers" or "reject"/],
      [{ answers: [["a"]], reject: true }, /either "answers" or "reject"/],
      [{ reject: false }, /"reject"/],
      [{ answers: [] }, /"answers"/],
      [{ answers: ["Red"] }, /"answers.0"/],
      [{ answers: [[""]] }, /"answers.0.0"/],
      [{ answers: [["a"]], extra: 1 }, /unknown field "extra"/],
    ];
    for (const [body, problem] of bad) {
      const error = await errorOf(await post("/api/questions/que_1", body));
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.match(error.message, problem, JSON.stringify(body));
    }
    assert.equal((await errorOf(await post("/api/questions/bad%20id", { reject: true }))).status, 400);
    const missing = await errorOf(await post("/api/questions/que_missing", { answers: [["a"]] }));
    assert.deepEqual([missing.status, missing.code], [404, "not_found"]);
    assert.deepEqual(backend.answers, []);
  });
});

describe("diff, undo, redo, fork, compact", () => {
  async function withConversation(script?: Script) {
    const backend = new FakeBackend(script);
    const api = apiOn(backend);
    if (!script) await (await api.post("/api/conversations/web:o/messages", { text: "first" })).text();
    return { backend, ...api };
  }

  test("diff: the last turn's, or ?all=1 the whole conversation's", async () => {
    const { backend, call } = await withConversation();
    backend.diffs = { last: "last diff", all: "all diff" };
    assert.deepEqual(await (await call("/api/conversations/web:o/diff")).json(), { diff: "last diff" });
    assert.deepEqual(await (await call("/api/conversations/web:o/diff?all=1")).json(), { diff: "all diff" });
    assert.deepEqual(await (await call("/api/conversations/web:o/diff?all=0")).json(), { diff: "last diff" });
    assert.equal((await errorOf(await call("/api/conversations/web:o/diff?all=yes"))).status, 400);
    assert.equal((await errorOf(await call("/api/conversations/web:none/diff"))).status, 404);
    assert.deepEqual(backend.operations, ["diff web:o", "diff web:o all", "diff web:o"]);
  });

  test("undo, redo and compact call the backend", async () => {
    const { backend, post } = await withConversation();
    assert.deepEqual(await (await post("/api/conversations/web:o/undo")).json(), { undone: true });
    assert.deepEqual(await (await post("/api/conversations/web:o/redo")).json(), { redone: true });
    assert.deepEqual(await (await post("/api/conversations/web:o/compact")).json(), { compacted: true });
    assert.deepEqual(backend.operations, ["undo web:o", "redo web:o", "compact web:o"]);
    for (const op of ["undo", "redo", "compact"]) {
      const error = await errorOf(await post(`/api/conversations/web:none/${op}`));
      assert.deepEqual([error.status, error.code], [404, "not_found"], op);
    }
  });

  test("fork makes a new conversation; an existing key is a 409, a bad one a 400", async () => {
    const { backend, post } = await withConversation();
    const forked = await post("/api/conversations/web:o/fork", { key: "web:o2" });
    assert.equal(forked.status, 201);
    const { conversation } = (await forked.json()) as { conversation: { key: string; title: string; running: boolean } };
    assert.deepEqual([conversation.key, conversation.title, conversation.running], ["web:o2", "first", false]);
    assert.ok(backend.get("web:o2"));
    for (const key of ["web:o2", "web:o"]) {
      const error = await errorOf(await post("/api/conversations/web:o/fork", { key }));
      assert.deepEqual([error.status, error.code], [409, "exists"], key);
    }
    for (const body of [{}, { key: "bad key" }, { key: "web:x", more: 1 }]) {
      assert.equal((await errorOf(await post("/api/conversations/web:o/fork", body))).status, 400, JSON.stringify(body));
    }
    assert.equal((await errorOf(await post("/api/conversations/web:none/fork", { key: "web:n2" }))).status, 404);
    assert.deepEqual(backend.operations, ["fork web:o web:o2"]);
  });

  test("every operation is 409 busy while a turn runs in the conversation, and a turn cannot start during one", async () => {
    const { backend, runs, post } = await withConversation(endless);
    const streaming = post("/api/conversations/web:o/messages", { text: "long" });
    while (!runs.isRunning("web:o")) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const [op, body] of [["undo"], ["redo"], ["compact"], ["fork", { key: "web:o3" }]] as const) {
      const error = await errorOf(await post(`/api/conversations/web:o/${op}`, body));
      assert.deepEqual([error.status, error.code], [409, "busy"], op);
    }
    assert.deepEqual(backend.operations, []);
    runs.stop("web:o");
    await (await streaming).text();

    // An operation that takes a while keeps turns out until it is over.
    let release = () => {};
    backend.compact = async () => new Promise<void>((resolve) => (release = resolve));
    const compacting = post("/api/conversations/web:o/compact");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await errorOf(await post("/api/conversations/web:o/messages", { text: "now" }));
    assert.deepEqual([refused.status, refused.code], [409, "busy"]);
    assert.match(refused.message, /compacting/);
    release();
    assert.equal((await compacting).status, 200);
  });
});

describe("the OpenAPI document", () => {
  test("documents every new route and body", async () => {
    const { call } = apiOn(new FakeBackend());
    const doc = (await (await call("/api/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    for (const [path, method] of [
      ["/api/agents", "get"],
      ["/api/commands", "get"],
      ["/api/questions/{id}", "post"],
      ["/api/conversations/{key}/diff", "get"],
      ["/api/conversations/{key}/undo", "post"],
      ["/api/conversations/{key}/redo", "post"],
      ["/api/conversations/{key}/fork", "post"],
      ["/api/conversations/{key}/compact", "post"],
    ]) {
      assert.ok(doc.paths[path as string]?.[method as string], `${method} ${path}`);
    }
    const message = doc.components.schemas.MessageRequest?.properties ?? {};
    for (const field of ["agent", "command", "files"]) assert.ok(message[field], field);
    assert.ok(doc.components.schemas.QuestionReply?.properties?.answers);
    assert.ok(doc.components.schemas.ForkRequest?.properties?.key);
    assert.ok(doc.components.schemas.Conversation?.properties?.agent);
  });
});

describe("the new routes' guard and methods", () => {
  test("every new route is behind the same guard: 401 without the token, 403 from another site", async () => {
    const backend = new FakeBackend();
    const token = "t0ken-for-the-unit-tests-1234";
    const app = dashboardApp({ backend, runs: new ConversationRuns(backend), version: "test", model: "", token, loopback: true });
    const routes: Array<[string, string, unknown?]> = [
      ["GET", "/api/agents"],
      ["GET", "/api/commands"],
      ["POST", "/api/questions/que_1", { reject: true }],
      ["GET", "/api/conversations/web:o/diff"],
      ["POST", "/api/conversations/web:o/undo"],
      ["POST", "/api/conversations/web:o/redo"],
      ["POST", "/api/conversations/web:o/compact"],
      ["POST", "/api/conversations/web:o/fork", { key: "web:o2" }],
    ];
    for (const [method, path, body] of routes) {
      const init = { method, ...(body ? { body: JSON.stringify(body) } : {}) };
      const headers = { host: "127.0.0.1", "content-type": "application/json" };
      assert.equal((await app.request(path, { ...init, headers })).status, 401, `${method} ${path} without the token`);
      const foreign = await app.request(path, {
        ...init,
        headers: { ...headers, authorization: `Bearer ${token}`, origin: "http://evil.example" },
      });
      assert.equal(foreign.status, 403, `${method} ${path} from another site`);
    }
    assert.deepEqual([backend.answers, backend.operations], [[], []]);
  });

  test("wrong methods on the new routes are 405 with Allow", async () => {
    const { call } = apiOn(new FakeBackend());
    for (const [path, allow] of [
      ["/api/agents", "GET, HEAD"],
      ["/api/questions/que_1", "POST"],
      ["/api/conversations/web:o/diff", "GET, HEAD"],
      ["/api/conversations/web:o/undo", "POST"],
      ["/api/conversations/web:o/fork", "POST"],
    ] as const) {
      const response = await call(path, { method: "DELETE" });
      assert.equal(response.status, 405, path);
      assert.equal(response.headers.get("allow"), allow, path);
    }
  });
});
