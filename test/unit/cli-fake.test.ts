import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AgentEvent, doneEvent, errorEvent } from "../../src/agent/events.js";
import { type ChatContext, runChatCommand } from "../../src/cli/chat/commands.js";
import { exitCodeFor } from "../../src/cli/exit-codes.js";
import { TerminalRenderer } from "../../src/cli/render.js";
import { exitCodeOf, runTurn } from "../../src/cli/turn.js";
import { FakeBackend } from "../support/fake-backend.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (t: string) => void out.push(t) }, stderr: { write: (t: string) => void err.push(t) } };
}

const ask: AgentEvent = {
  type: "permission_request",
  content: "bash wants to run: rm notes.md",
  metadata: { id: "per_1", permission: "bash", patterns: ["rm notes.md"], always: ["rm *"], sessionId: "s" },
};

function askingBackend() {
  return new FakeBackend(async function* (_m, _o, self) {
    yield ask;
    const reply = await self.replyTo("per_1");
    yield { type: "message", content: `the answer was ${reply}`, metadata: { partId: "p", messageId: "m" } };
    yield doneEvent({ stopped: false, failed: false });
  });
}

describe("a terminal turn on a fake backend", () => {
  test("not on a terminal and without --approve, a permission request is rejected, and the reason shown", async () => {
    const backend = askingBackend();
    const io = capture();
    const renderer = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false });
    const result = await runTurn({ backend, message: "tidy up", run: { sessionKey: "cli:t" }, out: io.stdout, err: io.stderr, renderer });
    assert.deepEqual(backend.replies, [{ id: "per_1", reply: "reject" }]);
    assert.match(io.err.join(""), /stdin is not a terminal; use --approve to allow/);
    assert.match(io.out.join(""), /the answer was reject/);
    assert.equal(exitCodeOf(result, exitCodeFor), 0);
    assert.equal(backend.runs[0]!.options.sessionKey, "cli:t");
  });

  test("with --json, every event and the permission answer are NDJSON lines on stdout", async () => {
    const backend = askingBackend();
    const io = capture();
    await runTurn({
      backend,
      message: "x",
      run: {},
      out: io.stdout,
      err: io.stderr,
      renderer: undefined,
      answer: { reply: "once", how: "--approve" },
    });
    const lines = io.out
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; content: string });
    assert.deepEqual(
      lines.map((l) => l.type),
      ["permission_request", "permission_reply", "message", "done"],
    );
    assert.equal(lines[1]!.content, "once");
    assert.deepEqual(backend.replies, [{ id: "per_1", reply: "once" }]);
  });

  test("the first error of the turn decides the exit code", async () => {
    const backend = new FakeBackend(async function* () {
      yield errorEvent("unreachable", "gone");
      yield doneEvent({ stopped: false, failed: true });
    });
    const io = capture();
    const result = await runTurn({ backend, message: "x", run: {}, out: io.stdout, err: io.stderr, renderer: undefined });
    assert.equal(exitCodeOf(result, exitCodeFor), 3);
  });
});

describe("chat commands on a fake backend", () => {
  function chat() {
    const backend = new FakeBackend();
    const io = capture();
    const said: string[] = [];
    const ctx: ChatContext = {
      state: { key: "cli:default", model: "", agent: "", attachments: [] },
      backend,
      renderer: new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false }),
      say: (text) => void said.push(text),
    };
    return { backend, ctx, said };
  }

  test("/model checks the model with the backend and remembers it for the conversation", async () => {
    const { backend, ctx, said } = chat();
    for await (const _ of backend.run("hello", { sessionKey: "cli:default" }));
    await runChatCommand(ctx, "/model fake/none");
    assert.equal(ctx.state.model, "");
    assert.match(said.at(-1)!, /No model fake\/none/);
    await runChatCommand(ctx, "/model fake/one");
    assert.equal(ctx.state.model, "fake/one");
    assert.equal(backend.get("cli:default")?.model, "fake/one");
  });

  test("/new picks the next free key; /switch to an existing one says what it is", async () => {
    const { backend, ctx, said } = chat();
    for await (const _ of backend.run("first words", { sessionKey: "cli:default" }));
    await runChatCommand(ctx, "/new");
    assert.equal(ctx.state.key, "cli:2");
    await runChatCommand(ctx, "/switch cli:default");
    assert.equal(ctx.state.key, "cli:default");
    assert.match(said.at(-1)!, /Switched to cli:default: "first words"/);
  });

  test("/stop asks the backend, which finds nothing running", async () => {
    const { backend, ctx, said } = chat();
    for await (const _ of backend.run("x", { sessionKey: "cli:default" }));
    await runChatCommand(ctx, "/stop");
    assert.match(said.at(-1)!, /Nothing is running in cli:default/);
  });
});
