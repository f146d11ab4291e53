// The everyday OpenCode features against the real server (1.18.33) and the scripted model:
// agents, questions, attachments, commands, todos, the files a turn changed and their diff,
// undo/redo/fork/compact, and a prompt the server takes but never runs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MAX_ATTACHMENT_BYTES } from "../../src/agent/backend.js";
import { BackendError } from "../../src/agent/errors.js";
import { useRealServer } from "../support/real-server.js";
import { collect, lastOf, ofType, textOf } from "../support/run.js";
import { FEATURE_CONFIG, commandRuns, questionAnswered, todosShown, unknownAgentAndCommandRefused } from "../support/scenarios.js";

const real = useRealServer({ extraConfig: FEATURE_CONFIG });

/** A git repository with one committed file, made before the server first sees the folder (it tells git projects apart then). */
function gitProject(name: string): string {
  const dir = join(real.server.projectDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "old.txt"), "a\nb\nc\n");
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir, stdio: "ignore" });
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "init");
  return dir;
}

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
    assert.deepEqual(events.map((e) => e.type), ["error", "done"]);
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
    const error = await real.backend().replyQuestion("que_0000000000000000000000000", [["x"]]).then(() => undefined, (e: unknown) => e);
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
    for (const file of [{ name: "big.bin", mime: "", data: new Uint8Array(MAX_ATTACHMENT_BYTES + 1) }, { name: " ", mime: "text/plain", data: new Uint8Array(1) }]) {
      const events = await collect(b, "hi", { sessionKey: "f:files-bad", files: [file] });
      assert.deepEqual(events.map((e) => e.type), ["error", "done"]);
      assert.equal(ofType(events, "error")[0]?.metadata.code, "bad_request");
    }
    assert.equal(b.get("f:files-bad"), undefined);
  });

  test("a command runs with the message as its arguments", () => commandRuns(real.backend(), "f:command"));

  test("the agent's todo list", () => todosShown(real.backend(), "f:todo"));
});

describe("the files a turn changed", () => {
  const writeAndEdit = "[[write:notes.md|one\ntwo\nthree\n]][[edit:notes.md|two|TWO\nmore]]";

  test("outside git: from the turn's file tools, once, just before done; diff from the tools' own diffs", async () => {
    const b = real.backend();
    const events = await collect(b, writeAndEdit, { sessionKey: "f:changes" });
    const changed = ofType(events, "files_changed");
    assert.equal(changed.length, 1);
    assert.equal(events.at(-2)?.type, "files_changed");
    assert.deepEqual(changed[0]?.metadata.files, [{ path: "notes.md", additions: 5, deletions: 1 }]);
    const diff = await b.diff("f:changes");
    assert.match(diff, /^--- \/dev\/null\n\+\+\+ b\/notes\.md\n@@ -0,0 \+1,3 @@\n\+one\n/);
    assert.match(diff, /-two\n\+TWO\n\+more\n/);
    // A turn that changes nothing says nothing about files.
    assert.deepEqual(ofType(await collect(b, "[[reply:nothing]]", { sessionKey: "f:changes" }), "files_changed"), []);
    assert.equal(await b.diff("f:changes"), "");
    assert.match(await b.diff("f:changes", { all: true }), /\+TWO/);
  });

  test("in a git project: the server's diff; undo restores the files, redo brings them back, a new turn drops what was undone", async () => {
    const dir = gitProject("repo-changes");
    const b = real.backend({ directory: dir });
    const key = "f:git";
    const events = await collect(b, "[[edit:old.txt|b|B]][[write:new.md|x\n]]", { sessionKey: key });
    assert.deepEqual(ofType(events, "files_changed")[0]?.metadata.files, [
      { path: "new.md", additions: 1, deletions: 0 },
      { path: "old.txt", additions: 1, deletions: 1 },
    ]);
    assert.match(await b.diff(key), /--- a\/old\.txt\n\+\+\+ b\/old\.txt\n@@ -1,3 \+1,3 @@\n a\n-b\n\+B\n c\n/);

    assert.equal(await b.undo(key), true);
    assert.equal(readFileSync(join(dir, "old.txt"), "utf8"), "a\nb\nc\n");
    assert.ok(!existsSync(join(dir, "new.md")));
    assert.equal(await b.undo(key), false, "nothing left to undo");
    assert.equal(await b.redo(key), true);
    assert.equal(readFileSync(join(dir, "old.txt"), "utf8"), "a\nB\nc\n");
    assert.equal(await b.redo(key), false, "nothing left to redo");

    assert.equal(await b.undo(key), true);
    const after = await collect(b, "[[reply:a new start]]", { sessionKey: key });
    assert.equal(textOf(after), "a new start");
    const turns = (await b.transcript(key)).turns;
    assert.deepEqual(turns.map((t) => t.text), ["[[reply:a new start]]"], "the undone turn is gone");
  });
});

describe("fork and compact", () => {
  test("fork: a copy under a new key that goes on by itself; an existing key is refused", async () => {
    const b = real.backend();
    await collect(b, "[[reply:the original]]", { sessionKey: "f:orig", agent: "plan" });
    const fork = await b.fork("f:orig", "f:fork");
    const original = b.get("f:orig");
    assert.equal(fork.title, `${original?.title} (fork)`);
    assert.notEqual(fork.sessionId, original?.sessionId);
    assert.equal(fork.agent, "plan");
    const events = await collect(b, "[[reply:in the fork]]", { sessionKey: "f:fork" });
    assert.equal(textOf(events), "in the fork");
    assert.deepEqual((await b.transcript("f:fork")).turns.map((t) => t.text), ["[[reply:the original]]", "[[reply:in the fork]]"]);
    assert.equal((await b.transcript("f:orig")).turns.length, 1, "the original is untouched");
    await assert.rejects(b.fork("f:orig", "f:fork"), (e: unknown) => e instanceof BackendError && e.code === "bad_request");
  });

  test("compact: the server summarises the conversation, which then goes on", async () => {
    const b = real.backend();
    await collect(b, "[[reply:something to summarise]]", { sessionKey: "f:compact" });
    await b.compact("f:compact");
    const messages = await b.client.messages(b.get("f:compact")?.sessionId as string);
    assert.ok(messages.some((m) => m.parts.some((p) => p.type === "compaction")), "a compaction was stored");
    assert.equal(textOf(await collect(b, "[[reply:after the summary]]", { sessionKey: "f:compact" })), "after the summary");
  });
});

describe("a prompt the server takes but never runs", () => {
  test("ends with `stalled` after the bound, saying what to do", async () => {
    // The prompt is answered 204 as the server does, but never reaches it.
    const swallow: typeof fetch = async (input, init) =>
      String(input).includes("/prompt_async") ? new Response(null, { status: 204 }) : fetch(input, init);
    const b = real.backend({ fetch: swallow, stallMs: 1_500 });
    const started = Date.now();
    const events = await collect(b, "[[reply:never]]", { sessionKey: "f:stalled" });
    assert.deepEqual(events.filter((e) => e.type !== "status").map((e) => e.type), ["error", "done"]);
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
