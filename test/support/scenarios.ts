import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BackendError } from "../../src/agent/errors.js";
import type { OpenCodeBackend } from "../../src/opencode/backend/backend.js";
import { collect, ofType, textOf } from "./run.js";

/**
 * Scenarios run against more than one server release (backend.test.ts on the newest,
 * versions.test.ts on the oldest), where the releases take different paths to the same result.
 */

/**
 * The conversation's session deleted on the server while the backend lives (`pocketpaw serve`):
 * the next turn goes on in a new session, says so, and the conversation remembers it.
 */
export async function sessionDeletedWhileBackendLives(b: OpenCodeBackend, key: string): Promise<void> {
  const one = await collect(b, "[[reply:before]]", { sessionKey: key });
  const old = ofType(one, "done")[0]?.metadata.sessionId as string;
  assert.ok(old);
  await b.client.deleteSession(old);
  const two = await collect(b, "[[reply:after]]", { sessionKey: key });
  const replaced = ofType(two, "status").find((s) => s.metadata.state === "session_replaced");
  assert.ok(replaced?.metadata.state === "session_replaced", `a session_replaced status: ${JSON.stringify(two.map((e) => e.type))}`);
  assert.equal(replaced.metadata.previousSessionId, old);
  assert.deepEqual(ofType(two, "error"), []);
  assert.equal(textOf(two), "after");
  const done = ofType(two, "done")[0];
  assert.equal(done?.metadata.reason, "completed");
  assert.equal(done?.metadata.sessionId, replaced.metadata.sessionId);
  assert.equal(b.get(key)?.sessionId, replaced.metadata.sessionId, "the stored record points at the new session");
  // And the conversation goes on there, with no further replacement.
  const three = await collect(b, "[[reply:again]]", { sessionKey: key });
  assert.equal(textOf(three), "again");
  assert.deepEqual(
    ofType(three, "status").filter((s) => s.metadata.state !== "busy"),
    [],
  );
  assert.equal(ofType(three, "done")[0]?.metadata.sessionId, replaced.metadata.sessionId);
}

/**
 * Server configuration the feature scenarios need: a custom command, a custom primary agent, and
 * the `general` subagent allowed to ask questions (OpenCode's subagents do not get the question
 * tool unless their permission allows it: "Model tried to call unavailable tool 'question'").
 */
export const FEATURE_CONFIG = {
  command: { echo: { template: "Command says: $ARGUMENTS", description: "says its arguments back" } },
  agent: {
    reviewer: { description: "Reviews code", mode: "primary", prompt: "You review code." },
    general: { permission: { question: "allow" } },
  },
};

/** A question is shown (once, normalised) and answered; the tool's result carries the answer. */
export async function questionAnswered(b: OpenCodeBackend, key: string): Promise<void> {
  const events = await collect(b, "[[question:Which colour?|red|blue=the cool one]]", { sessionKey: key }, async (event) => {
    if (event.type === "question") await b.replyQuestion(event.metadata.id, [["blue"]]);
  });
  const questions = ofType(events, "question");
  assert.equal(questions.length, 1, JSON.stringify(events.map((e) => e.type)));
  assert.deepEqual(questions[0]?.metadata.questions, [
    {
      question: "Which colour?",
      header: "Which colour?",
      options: [
        { label: "red", description: "red" },
        { label: "blue", description: "the cool one" },
      ],
      multiple: false,
    },
  ]);
  assert.match(questions[0]?.metadata.id ?? "", /^que/);
  assert.match(textOf(events), /^Answer received: .*"Which colour\?"="blue"/);
  assert.equal(ofType(events, "done")[0]?.metadata.reason, "completed");
}

/** A command of the server's configuration runs with the message as its arguments, followed like a prompt. */
export async function commandRuns(b: OpenCodeBackend, key: string): Promise<void> {
  const commands = await b.commands();
  assert.ok(
    commands.some((c) => c.name === "echo" && c.description === "says its arguments back"),
    JSON.stringify(commands),
  );
  const events = await collect(b, "[[reply:from a command]]", { sessionKey: key, command: "/echo" });
  assert.equal(textOf(events), "from a command");
  assert.equal(ofType(events, "done")[0]?.metadata.reason, "completed");
  const sessionId = ofType(events, "done")[0]?.metadata.sessionId as string;
  const [user] = (await b.client.messages(sessionId)).filter((m) => m.info.role === "user");
  assert.equal(user?.parts.find((p) => p.type === "text")?.text, "Command says: [[reply:from a command]]");
}

/** An unknown agent or command ends the run with bad_request naming what exists, before any session is created. */
export async function unknownAgentAndCommandRefused(b: OpenCodeBackend, key: string): Promise<void> {
  for (const [options, names] of [
    [{ agent: "nope" }, /build, plan/],
    [{ command: "nope" }, /\/echo/],
  ] as const) {
    const events = await collect(b, "[[reply:never]]", { sessionKey: key, ...options });
    assert.deepEqual(
      events.map((e) => e.type),
      ["error", "done"],
    );
    const [error] = ofType(events, "error");
    assert.equal(error?.metadata.code, "bad_request");
    assert.match(error?.content ?? "", names);
    assert.equal(b.get(key), undefined, "no session was created");
  }
}

/** A todo list written by the agent arrives as a todo event. */
export async function todosShown(b: OpenCodeBackend, key: string): Promise<void> {
  const events = await collect(b, "[[todo:in_progress:high:Fix bug|Write tests]]", { sessionKey: key });
  const todos = ofType(events, "todo").at(-1)?.metadata.todos;
  assert.deepEqual(todos, [
    { content: "Fix bug", status: "in_progress", priority: "high" },
    { content: "Write tests", status: "pending", priority: "medium" },
  ]);
}

/** A turn that writes then edits a file outside git: files_changed from the tools, once, just before done; the diff from their own diffs. */
export async function changesOutsideGit(b: OpenCodeBackend, key: string): Promise<void> {
  const events = await collect(b, "[[write:notes.md|one\ntwo\nthree\n]][[edit:notes.md|two|TWO\nmore]]", { sessionKey: key });
  const changed = ofType(events, "files_changed");
  assert.equal(changed.length, 1);
  assert.equal(events.at(-2)?.type, "files_changed");
  assert.deepEqual(changed[0]?.metadata.files, [{ path: "notes.md", additions: 5, deletions: 1 }]);
  const diff = await b.diff(key);
  assert.match(diff, /^--- \/dev\/null\n\+\+\+ b\/notes\.md\n@@ -0,0 \+1,3 @@\n\+one\n/);
  assert.match(diff, /-two\n\+TWO\n\+more\n/);
  // A turn that changes nothing says nothing about files; the last turn's diff is then empty.
  assert.deepEqual(ofType(await collect(b, "[[reply:nothing]]", { sessionKey: key }), "files_changed"), []);
  assert.equal(await b.diff(key), "");
  assert.match(await b.diff(key, { all: true }), /\+TWO/);
}

/** A git repository with one committed file, made before the server first sees the folder (it tells git projects apart then). */
export function gitProject(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "old.txt"), "a\nb\nc\n");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir, stdio: "ignore" });
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", `init ${dir}`); // a root commit of its own: OpenCode names projects after it
  return dir;
}

/**
 * In a git project (`b` on `dir`), two turns: each turn's files from the server's diff (the second
 * turn's without the first's); undo takes back one turn at a time, files included (a file the turn
 * created is deleted); redo brings back everything; a new turn drops what was undone.
 */
export async function changesInGitUndoRedo(b: OpenCodeBackend, dir: string, key: string): Promise<void> {
  const oldTxt = () => readFileSync(join(dir, "old.txt"), "utf8");
  const filesOf = async (prompt: string) => {
    const files = ofType(await collect(b, prompt, { sessionKey: key }), "files_changed")[0]?.metadata.files ?? [];
    return [...files].sort((x, y) => x.path.localeCompare(y.path));
  };
  // Each step thinks a moment first, as a real model does: OpenCode 1.2.6 loses the snapshots of
  // steps that take a few milliseconds (then undo restores nothing), which no real model is.
  const pace = "[[delay:200]][[think:hmm]]";
  assert.deepEqual(await filesOf(`${pace}[[edit:old.txt|b|B]][[write:new.md|x\n]]`), [
    { path: "new.md", additions: 1, deletions: 0 },
    { path: "old.txt", additions: 1, deletions: 1 },
  ]);
  assert.match(await b.diff(key), /--- a\/old\.txt\n\+\+\+ b\/old\.txt\n@@ -1,3 \+1,3 @@\n a\n-b\n\+B\n c\n/);
  assert.deepEqual(await filesOf(`${pace}[[edit:old.txt|c|C]]`), [{ path: "old.txt", additions: 1, deletions: 1 }]);
  assert.equal(await b.diff(key), "--- a/old.txt\n+++ b/old.txt\n@@ -1,3 +1,3 @@\n a\n B\n-c\n+C\n");

  assert.equal(await b.undo(key), true);
  assert.equal(oldTxt(), "a\nB\nc\n");
  assert.equal(await b.undo(key), true);
  assert.equal(oldTxt(), "a\nb\nc\n");
  assert.ok(!existsSync(join(dir, "new.md")));
  assert.equal(await b.undo(key), false, "nothing left to undo");
  assert.equal(await b.redo(key), true);
  assert.equal(oldTxt(), "a\nB\nC\n");
  assert.equal(await b.redo(key), false, "nothing left to redo");

  assert.equal(await b.undo(key), true);
  assert.equal(textOf(await collect(b, "[[reply:a new start]]", { sessionKey: key })), "a new start");
  const turns = (await b.transcript(key)).turns.map((t) => t.text);
  assert.deepEqual(turns, [`${pace}[[edit:old.txt|b|B]][[write:new.md|x\n]]`, "[[reply:a new start]]"], "the undone turn is gone");
}

/** Fork: a copy under a new key, with the conversation's agent, that goes on by itself; an existing key is refused. */
export async function forkGoesOn(b: OpenCodeBackend, key: string, forkKey: string): Promise<void> {
  await collect(b, "[[reply:the original]]", { sessionKey: key, agent: "plan" });
  const fork = await b.fork(key, forkKey);
  const original = b.get(key);
  assert.equal(fork.title, `${original?.title} (fork)`);
  assert.notEqual(fork.sessionId, original?.sessionId);
  assert.equal(fork.agent, "plan");
  assert.equal(textOf(await collect(b, "[[reply:in the fork]]", { sessionKey: forkKey })), "in the fork");
  assert.deepEqual(
    (await b.transcript(forkKey)).turns.map((t) => t.text),
    ["[[reply:the original]]", "[[reply:in the fork]]"],
  );
  assert.equal((await b.transcript(key)).turns.length, 1, "the original is untouched");
  await assert.rejects(b.fork(key, forkKey), (e: unknown) => e instanceof BackendError && e.code === "bad_request");
}

/** Compact: the server summarises the conversation (a compaction is stored), which then goes on. */
export async function compactGoesOn(b: OpenCodeBackend, key: string): Promise<void> {
  await collect(b, "[[reply:something to summarise]]", { sessionKey: key });
  await b.compact(key);
  const messages = await b.client.messages(b.get(key)?.sessionId as string);
  assert.ok(
    messages.some((m) => m.parts.some((p) => p.type === "compaction")),
    "a compaction was stored",
  );
  assert.equal(textOf(await collect(b, "[[reply:after the summary]]", { sessionKey: key })), "after the summary");
}
