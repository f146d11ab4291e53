import assert from "node:assert/strict";
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
  assert.deepEqual(ofType(three, "status").filter((s) => s.metadata.state !== "busy"), []);
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
    { question: "Which colour?", header: "Which colour?", options: [{ label: "red", description: "red" }, { label: "blue", description: "the cool one" }], multiple: false },
  ]);
  assert.match(questions[0]?.metadata.id ?? "", /^que/);
  assert.match(textOf(events), /^Answer received: .*"Which colour\?"="blue"/);
  assert.equal(ofType(events, "done")[0]?.metadata.reason, "completed");
}

/** A command of the server's configuration runs with the message as its arguments, followed like a prompt. */
export async function commandRuns(b: OpenCodeBackend, key: string): Promise<void> {
  const commands = await b.commands();
  assert.ok(commands.some((c) => c.name === "echo" && c.description === "says its arguments back"), JSON.stringify(commands));
  const events = await collect(b, "[[reply:from a command]]", { sessionKey: key, command: "/echo" });
  assert.equal(textOf(events), "from a command");
  assert.equal(ofType(events, "done")[0]?.metadata.reason, "completed");
  const sessionId = ofType(events, "done")[0]?.metadata.sessionId as string;
  const [user] = (await b.client.messages(sessionId)).filter((m) => m.info.role === "user");
  assert.equal(user?.parts.find((p) => p.type === "text")?.text, "Command says: [[reply:from a command]]");
}

/** An unknown agent or command ends the run with bad_request naming what exists, before any session is created. */
export async function unknownAgentAndCommandRefused(b: OpenCodeBackend, key: string): Promise<void> {
  for (const [options, names] of [[{ agent: "nope" }, /build, plan/], [{ command: "nope" }, /\/echo/]] as const) {
    const events = await collect(b, "[[reply:never]]", { sessionKey: key, ...options });
    assert.deepEqual(events.map((e) => e.type), ["error", "done"]);
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
