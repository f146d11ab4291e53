// The everyday OpenCode features against the real server (1.18.33) and the scripted model:
// agents, questions, attachments, commands, todos, the files a turn changed and their diff,
// undo/redo/fork/compact, and a prompt the server takes but never runs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_ATTACHMENT_BYTES } from "../../src/agent/backend.js";
import { BackendError } from "../../src/agent/errors.js";
import { useRealServer } from "../support/real-server.js";
import { collect, lastOf, ofType, textOf } from "../support/run.js";
import {
  changesInGitUndoRedo,
  changesOutsideGit,
  commandRuns,
  compactGoesOn,
  FEATURE_CONFIG,
  forkGoesOn,
  gitProject,
  questionAnswered,
  todosShown,
  unknownAgentAndCommandRefused,
} from "../support/scenarios.js";

const real = useRealServer({ extraConfig: FEATURE_CONFIG });

/** The agent the server stored for the session's user messages, in order. */
async function agentsUsed(sessionId: string): Promise<string[]> {
  const messages = await real.backend().client.messages(sessionId);
  return messages.filter((m) => m.info.role === "user").map((m) => String((m.info as { agent?: string }).agent));
}

describe("agents", () => {
  test("the server's agents: primary and subagents, built in or configured; OpenCode's hidden ones left out", async () => {
    const agents = await real.backend().agents();
    const byName = new Map(agents.map((a) => [a.name, a]));
    assert.deepEqual(byName.get("build"), { ...byName.get("build"), mode: "primary", builtIn: true });
    assert.equal(byName.get("general")?.mode, "subagent");
    assert.deepEqual(byName.get("reviewer"), { name: "reviewer", description: "Reviews code", mode: "primary", builtIn: false });
    for (const hidden of ["title", "summary", "compaction"]) assert.ok(!byName.has(hidden), hidden);
  });

  test("the agent reaches the server and is remembered for the conversation's next turns", async () => {
    const b = real.backend();
    const one = await collect(b, "[[reply:planned]]", { sessionKey: "f:agent", agent: "plan" });
    assert.equal(textOf(one), "planned");
    assert.equal(b.get("f:agent")?.agent, "plan");
    const two = await collect(b, "[[reply:still planning]]", { sessionKey: "f:agent" });
    assert.equal(textOf(two), "still planning");
    const three = await collect(b, "[[reply:building]]", { sessionKey: "f:agent", agent: "build" });
    assert.equal(textOf(three), "building");
    assert.deepEqual(await agentsUsed(ofType(three, "done")[0]?.metadata.sessionId as string), ["plan", "plan", "build"]);
    b.setAgent("f:agent", "reviewer");
    assert.equal(b.get("f:agent")?.agent, "reviewer");
  });

  test("an unknown agent or command: bad_request naming those that exist, and nothing sent", () =>
    unknownAgentAndCommandRefused(real.backend(), "f:unknown"));

  test("a subagent is not an agent to talk to", async () => {
    const events = await collect(real.backend(), "hi", { sessionKey: "f:subagent", agent: "general" });
    assert.deepEqual(
      events.map((e) => e.type),
      ["error", "done"],
    );
    assert.match(ofType(events, "error")[0]?.content ?? "", /"general" is a subagent.*build/);
  });
});

describe("questions", () => {
  test("a question is shown and answered", () => questionAnswered(real.backend(), "f:question"));

  test("a question refused: the tool fails and the turn ends", async () => {
    const b = real.backend();
    const events = await collect(b, "[[question:Go on?|yes|no]]", { sessionKey: "f:question-reject" }, async (event) => {
      if (event.type === "question") await b.replyQuestion(event.metadata.id, "reject");
    });
    const result = ofType(events, "tool_result").find((e) => e.metadata.name === "question");
    assert.equal(result?.metadata.isError, true);
    assert.equal(lastOf(events)?.type, "done");
  });

  test("a subagent's question reaches the conversation, marked as the subagent's", async () => {
    const b = real.backend();
    const events = await collect(b, "[[task:[[question:Sub?|yes|no]]]]", { sessionKey: "f:question-sub" }, async (event) => {
      if (event.type === "question") await b.replyQuestion(event.metadata.id, [["yes"]]);
    });
    const [question] = ofType(events, "question");
    assert.ok(question?.metadata.subagent, JSON.stringify(question));
    assert.equal(question.metadata.sessionId, question.metadata.subagent.sessionId);
    assert.match(textOf(events), /^Subagent said: .*Answer received/s);
  });

  test("an answer to a question nobody asks: not_found", async () => {
    const error = await real
      .backend()
      .replyQuestion("que_0000000000000000000000000", [["x"]])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof BackendError && error.code === "not_found", String(error));
  });
});

describe("attachments, commands, todos", () => {
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

  test("attached files reach the model: an image as an image, a text file as its text", async () => {
    const files = [
      { name: "dot.png", mime: "image/png", data: new Uint8Array(png) },
      { name: "notes.txt", mime: "text/plain", data: new TextEncoder().encode("attached notes here") },
    ];
    const events = await collect(real.backend(), "[[echo-files]]", { sessionKey: "f:files", files });
    const text = textOf(events);
    assert.ok(text.includes(`file: image_url mime=image/png bytes=${png.length}`), text);
    assert.match(text, /attached notes here/);
  });

  test("a file too large, or without a name, is refused before anything is sent", async () => {
    const b = real.backend();
    for (const file of [
      { name: "big.bin", mime: "", data: new Uint8Array(MAX_ATTACHMENT_BYTES + 1) },
      { name: " ", mime: "text/plain", data: new Uint8Array(1) },
    ]) {
      const events = await collect(b, "hi", { sessionKey: "f:files-bad", files: [file] });
      assert.deepEqual(
        events.map((e) => e.type),
        ["error", "done"],
      );
      assert.equal(ofType(events, "error")[0]?.metadata.code, "bad_request");
    }
    assert.equal(b.get("f:files-bad"), undefined);
  });

  test("a command runs with the message as its arguments", () => commandRuns(real.backend(), "f:command"));

  test("the agent's todo list", () => todosShown(real.backend(), "f:todo"));
});

describe("the files a turn changed", () => {
  test("outside git: from the turn's file tools, once, just before done; diff from the tools' own diffs", () =>
    changesOutsideGit(real.backend(), "f:changes"));

  test("a subagent's file tools count for the turn, live and in the diff", async () => {
    const b = real.backend();
    const events = await collect(b, "[[task:[[write:sub.md|from the subagent\n]]]]", { sessionKey: "f:changes-sub" });
    assert.deepEqual(ofType(events, "files_changed")[0]?.metadata.files, [{ path: "sub.md", additions: 1, deletions: 0 }]);
    assert.match(await b.diff("f:changes-sub"), /\+\+\+ b\/sub\.md\n@@ -0,0 \+1,1 @@\n\+from the subagent\n/);
  });

  test("in a git project: the server's diff; undo restores the files, redo brings them back, a new turn drops what was undone", () => {
    const dir = gitProject(real.server.projectDir, "repo-changes");
    return changesInGitUndoRedo(real.backend({ directory: dir }), dir, "f:git");
  });
});

describe("fork and compact", () => {
  test("fork: a copy under a new key that goes on by itself; an existing key is refused", () =>
    forkGoesOn(real.backend(), "f:orig", "f:fork"));

  test("compact: the server summarises the conversation, which then goes on", () => compactGoesOn(real.backend(), "f:compact"));
});

describe("a prompt the server takes but never runs", () => {
  test("ends with `stalled` after the bound, saying what to do", async () => {
    // The prompt is answered 204 as the server does, but never reaches it.
    const swallow: typeof fetch = async (input, init) =>
      String(input).includes("/prompt_async") ? new Response(null, { status: 204 }) : fetch(input, init);
    const b = real.backend({ fetch: swallow, stallMs: 1_500 });
    const started = Date.now();
    const events = await collect(b, "[[reply:never]]", { sessionKey: "f:stalled" });
    assert.deepEqual(
      events.filter((e) => e.type !== "status").map((e) => e.type),
      ["error", "done"],
    );
    const [error] = ofType(events, "error");
    assert.equal(error?.metadata.code, "stalled");
    assert.match(error?.content ?? "", /did not start working on it within 2 s.*Send it again/);
    assert.ok(Date.now() - started < 10_000);
  });

  test("a turn that waits on a question longer than the bound is not stalled", async () => {
    const b = real.backend({ stallMs: 500 });
    const events = await collect(b, "[[question:Wait?|yes]]", { sessionKey: "f:slow" }, async (event) => {
      if (event.type === "question") {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await b.replyQuestion(event.metadata.id, [["yes"]]);
      }
    });
    assert.deepEqual(ofType(events, "error"), []);
    assert.equal(ofType(events, "done")[0]?.metadata.reason, "completed");
  });
});
