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
