import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { OpenCodeClient } from "../../src/opencode/rest/client.js";
import { SqliteSessionStore } from "../../src/sessions/sqlite-store.js";
import { MemorySessionStore } from "../../src/sessions/store.js";
import { freePort, type OpenCodeServer, startOpenCode } from "../support/opencode-server.js";
import { useRealServer } from "../support/real-server.js";
import { collect, lastOf, ofType, storedTurn, textOf } from "../support/run.js";
import { sessionDeletedWhileBackendLives } from "../support/scenarios.js";
import { type LocalServer, startHtmlServer, startSeedNdjsonServer } from "../support/seed-servers.js";

const real = useRealServer();

describe("the OpenCode backend against the real server", () => {
  test("plain text streams in more than one chunk and equals what the server stored", async () => {
    const b = real.backend();
    const events = await collect(b, "[[reply:Hello there from the fake model, streamed word by word]]", { sessionKey: "t:text" });
    const chunks = ofType(events, "message");
    assert.ok(chunks.length > 1, `expected several chunks, got ${chunks.length}`);
    assert.equal(textOf(events), "Hello there from the fake model, streamed word by word");
    const done = lastOf(events);
    assert.equal(done?.type, "done");
    assert.equal(done?.type === "done" && done.metadata.reason, "completed");
    assert.equal(ofType(events, "token_usage").length, 1);
    assert.equal(ofType(events, "status")[0]?.metadata.state, "session_created");
    const sessionId = done?.type === "done" ? done.metadata.sessionId : undefined;
    assert.ok(sessionId);
    assert.equal(storedTurn(await b.client.messages(sessionId)).text, textOf(events));
  });

  test("a bash tool step: tool_use with its input, the whole output, then the answer", async () => {
    const events = await collect(real.backend(), "[[bash:printf 'line1\\nline2\\n']]", { sessionKey: "t:bash" });
    const [use] = ofType(events, "tool_use");
    const [result] = ofType(events, "tool_result");
    assert.equal(use?.metadata.name, "bash");
    assert.equal(use?.metadata.input.command, "printf 'line1\\nline2\\n'");
    assert.equal(result?.content, "line1\nline2\n");
    assert.equal(result?.metadata.isError, false);
    assert.equal(result?.metadata.callId, use?.metadata.callId);
    assert.equal(textOf(events), "Tool result received: line1\nline2\n");
    const done = ofType(events, "done")[0];
    assert.equal(done?.metadata.turns, 2);
  });

  test("reasoning arrives as thinking, then thinking_done", async () => {
    const events = await collect(real.backend(), "[[think:Let me consider this]][[reply:Done thinking]]", { sessionKey: "t:think" });
    assert.equal(
      ofType(events, "thinking")
        .map((e) => e.content)
        .join(""),
      "Let me consider this",
    );
    assert.equal(ofType(events, "thinking_done").length, 1);
    assert.equal(textOf(events), "Done thinking");
  });

  test("a model override that is not provider/model: a bad_request error, then done", async () => {
    const events = await collect(real.backend(), "hi", { sessionKey: "t:bad-model", model: "gpt4" });
    assert.deepEqual(
      events.map((e) => e.type),
      ["error", "done"],
    );
    assert.equal(ofType(events, "error")[0]?.metadata.code, "bad_request");
    assert.match(ofType(events, "error")[0]?.content ?? "", /"gpt4" is not valid: expected provider\/model/);
  });

  test("a model override reaches the model as {providerID, modelID}", async () => {
    const before = real.model.requests.length;
    const events = await collect(real.backend({ model: "fake/fake-model" }), "[[reply:via override]]", {
      sessionKey: "t:model",
      model: "fake/other-model",
    });
    assert.equal(textOf(events), "via override");
    const used = real.model.requests
      .slice(before)
      .filter((r) => !r.isTitle)
      .map((r) => r.model);
    assert.deepEqual([...new Set(used)], ["other-model"]);
  });

  test("a provider error ends the run with one error event a person can act on", async () => {
    const events = await collect(real.backend(), "[[error:400]]", { sessionKey: "t:provider" });
    const errors = ofType(events, "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.metadata.code, "provider");
    assert.match(errors[0]?.content ?? "", /fake 400 failure/);
    const done = ofType(events, "done")[0];
    assert.equal(done?.metadata.reason, "error");
  });

  test("two conversations at once get their own answers, in their own sessions", async () => {
    const b = real.backend();
    const [a, c] = await Promise.all([
      collect(b, "[[delay:15]][[reply:alpha alpha alpha alpha alpha alpha]]", { sessionKey: "t:a" }),
      collect(b, "[[delay:15]][[reply:omega omega omega omega omega omega]]", { sessionKey: "t:b" }),
    ]);
    assert.equal(textOf(a), "alpha alpha alpha alpha alpha alpha");
    assert.equal(textOf(c), "omega omega omega omega omega omega");
    assert.notEqual(ofType(a, "done")[0]?.metadata.sessionId, ofType(c, "done")[0]?.metadata.sessionId);
  });

  test("a conversation continues across runs, and across processes through the store", async () => {
    const home = mkdtempSync(join(tmpdir(), "pocketpaw-store-"));
    try {
      const first = real.backend({ store: new SqliteSessionStore(join(home, "pocketpaw.db")) });
      const one = await collect(first, "[[reply:first answer]]", { sessionKey: "t:continue" });
      const two = await collect(first, "[[reply:second answer]]", { sessionKey: "t:continue" });
      const sessionId = ofType(one, "done")[0]?.metadata.sessionId;
      assert.equal(ofType(two, "done")[0]?.metadata.sessionId, sessionId);
      assert.equal(ofType(two, "status").filter((s) => s.metadata.state === "session_created").length, 0);
      // A second backend (another pocketpaw process) on the same store continues the same session.
      const second = real.backend({ store: new SqliteSessionStore(join(home, "pocketpaw.db")) });
      const three = await collect(second, "[[reply:third answer]]", { sessionKey: "t:continue" });
      assert.equal(ofType(three, "done")[0]?.metadata.sessionId, sessionId);
      assert.equal(textOf(three), "third answer");
      const messages = await first.client.messages(sessionId as string);
      assert.equal(messages.filter((m) => m.info.role === "user").length, 3);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("a session the server no longer knows is replaced, and the run says so", async () => {
    const store = new MemorySessionStore();
    const b = real.backend({ store });
    const one = await collect(b, "[[reply:before]]", { sessionKey: "t:replace" });
    const old = ofType(one, "done")[0]?.metadata.sessionId as string;
    await b.client.deleteSession(old);
    const fresh = real.backend({ store }); // a new process: it has not seen the session yet
    const two = await collect(fresh, "[[reply:after]]", { sessionKey: "t:replace" });
    const replaced = ofType(two, "status").find((s) => s.metadata.state === "session_replaced");
    assert.ok(replaced, "a session_replaced status");
    assert.equal(textOf(two), "after");
    assert.notEqual(ofType(two, "done")[0]?.metadata.sessionId, old);
  });

  test("a session deleted on the server while the backend lives is replaced on the next turn", () =>
    sessionDeletedWhileBackendLives(real.backend(), "t:deleted"));

  test("an already-aborted signal: the run is just done (stopped), and sends no prompt", async () => {
    const b = real.backend();
    const first = await collect(b, "[[reply:first]]", { sessionKey: "t:pre-aborted" });
    const sessionId = ofType(first, "done")[0]?.metadata.sessionId as string;
    const started = Date.now();
    const events = await collect(b, "[[reply:never]]", { sessionKey: "t:pre-aborted", signal: AbortSignal.abort() });
    assert.ok(Date.now() - started < 1_000, `ended after ${Date.now() - started} ms`);
    assert.deepEqual(
      events.map((e) => e.type),
      ["done"],
    );
    const done = ofType(events, "done")[0];
    assert.equal(done?.metadata.reason, "stopped");
    assert.equal(done?.metadata.stopped, true);
    const users = (await b.client.messages(sessionId)).filter((m) => m.info.role === "user");
    assert.equal(users.length, 1, "no user message for the aborted run");
    // A new conversation started with an aborted signal creates no session either.
    assert.deepEqual(
      (await collect(b, "hi", { sessionKey: "t:pre-aborted-new", signal: AbortSignal.abort() })).map((e) => e.type),
      ["done"],
    );
    assert.equal(b.get("t:pre-aborted-new"), undefined);
  });

  test("aborted while queued behind a run of the same conversation: ends at once, sends no prompt", async () => {
    const b = real.backend();
    const key = "t:queued";
    let firstEnded = 0;
    const first = collect(b, "[[delay:50]][[chunks:40]]", { sessionKey: key }).then((events) => {
      firstEnded = Date.now();
      return events;
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const events = await collect(b, "[[reply:never]]", { sessionKey: key, signal: controller.signal });
    const secondEnded = Date.now();
    assert.deepEqual(
      events.map((e) => e.type),
      ["done"],
    );
    assert.equal(ofType(events, "done")[0]?.metadata.reason, "stopped");
    const firstEvents = await first;
    assert.ok(secondEnded < firstEnded, "the queued run ended while the first still ran");
    const done = ofType(firstEvents, "done")[0];
    assert.equal(done?.metadata.reason, "completed");
    const users = (await b.client.messages(done?.metadata.sessionId as string)).filter((m) => m.info.role === "user");
    assert.equal(users.length, 1, "only the first run's prompt reached the server");
  });

  test("stop mid-stream ends the run as stopped, and the server's run really stops", async () => {
    const b = real.backend();
    const key = "t:stop";
    const other = collect(b, "[[delay:20]][[reply:the other conversation goes on to its very end]]", { sessionKey: "t:other" });
    const events = await collect(b, "[[delay:100]][[chunks:100]]", { sessionKey: key }, async (event, all) => {
      if (event.type === "message" && ofType(all, "message").length === 3) assert.equal(await b.stop(key), true);
    });
    const done = ofType(events, "done")[0];
    assert.equal(done?.metadata.reason, "stopped");
    assert.equal(done?.metadata.stopped, true);
    assert.equal(ofType(events, "error").length, 0, "stopping is not an error");
    const sessionId = done?.metadata.sessionId as string;
    const statuses = await b.client.sessionStatus();
    assert.equal(statuses[sessionId]?.type ?? "idle", "idle");
    const stored = storedTurn(await b.client.messages(sessionId));
    assert.ok(stored.text.length < 100 * 4, "the answer was cut short on the server");
    assert.equal(textOf(events), stored.text);
    assert.equal(textOf(await other), "the other conversation goes on to its very end");
  });

  test("an aborted signal stops the run like stop()", async () => {
    const controller = new AbortController();
    const events = await collect(
      real.backend(),
      "[[delay:100]][[chunks:100]]",
      { sessionKey: "t:signal", signal: controller.signal },
      (event, all) => {
        if (event.type === "message" && ofType(all, "message").length === 2) controller.abort();
      },
    );
    assert.equal(ofType(events, "done")[0]?.metadata.reason, "stopped");
  });

  test("max turns: past the limit the run is stopped on the server with a max_turns error", async () => {
    const b = real.backend({ maxTurns: 2 });
    // Each step thinks for 300 ms before its tool call, so the abort lands inside the third step
    // (with instant steps a fourth could start before the abort arrives).
    const events = await collect(b, "[[delay:300]][[think:hmm]][[steps:5]]", { sessionKey: "t:max" });
    const errors = ofType(events, "error");
    assert.deepEqual(
      errors.map((e) => e.metadata.code),
      ["max_turns"],
    );
    const done = ofType(events, "done")[0];
    assert.equal(done?.metadata.reason, "max_turns");
    assert.equal(done?.metadata.turns, 3);
    const sessionId = done?.metadata.sessionId as string;
    const messages = await b.client.messages(sessionId);
    assert.ok(messages.filter((m) => m.info.role === "assistant").length <= 3, "no step past the third started");
    assert.equal((await b.client.sessionStatus())[sessionId]?.type ?? "idle", "idle");
  });

  test("a permission request is shown and answered: once lets the tool run, reject stops it", async () => {
    const ask = [{ permission: "bash", pattern: "*", action: "ask" as const }];
    for (const [reply, expectError] of [
      ["once", false],
      ["reject", true],
    ] as const) {
      const b = real.backend({ permission: ask });
      const events = await collect(b, "[[bash:echo allowed]]", { sessionKey: `t:perm-${reply}` }, async (event) => {
        if (event.type === "permission_request") await b.replyPermission(event.metadata.id, reply);
      });
      const [request] = ofType(events, "permission_request");
      assert.equal(request?.metadata.permission, "bash");
      assert.deepEqual(request?.metadata.patterns, ["echo allowed"]);
      const [result] = ofType(events, "tool_result");
      assert.equal(result?.metadata.isError, expectError);
      if (!expectError) assert.equal(result?.content, "allowed\n");
      assert.equal(lastOf(events)?.type, "done");
    }
  });

  test("a subagent's tool steps reach the conversation, marked as the subagent's", async () => {
    const events = await collect(real.backend(), "[[task:[[bash:echo from-child]]]]", { sessionKey: "t:task" });
    const childResults = ofType(events, "tool_result").filter((e) => e.metadata.subagent);
    assert.ok(
      childResults.some((e) => e.metadata.name === "bash" && e.content === "from-child\n"),
      JSON.stringify(ofType(events, "tool_result")),
    );
    const task = ofType(events, "tool_use").find((e) => e.metadata.name === "task");
    assert.ok(task && !task.metadata.subagent);
    assert.match(textOf(events), /^Subagent said: /);
  });
});

// Faults (the event stream cut or stalled, REST calls refused, the server killed, …) are in
// faults.test.ts, through a fault-injecting proxy.

describe("servers that cannot be used", () => {
  test("wrong URL: unreachable, with the URL and the start command", async () => {
    const port = await freePort();
    const events = await collect(real.backend({ baseUrl: `http://127.0.0.1:${port}` }), "hi");
    const [error] = ofType(events, "error");
    assert.equal(error?.metadata.code, "unreachable");
    assert.match(error?.content ?? "", new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(error?.content.includes(`opencode serve --port ${port}`), error?.content);
    assert.equal(lastOf(events)?.type, "done");
  });

  test("an HTML server is reported as not an OpenCode server", async () => {
    const html: LocalServer = await startHtmlServer();
    try {
      const events = await collect(real.backend({ baseUrl: html.url }), "hi");
      const [error] = ofType(events, "error");
      assert.equal(error?.metadata.code, "not_opencode");
      assert.match(error?.content ?? "", /HTML page/);
    } finally {
      await html.close();
    }
  });

  test("the seed's NDJSON protocol is understood by the same translator", async () => {
    const seed = await startSeedNdjsonServer();
    try {
      const events = await collect(real.backend({ baseUrl: seed.url }), "hello seed", { sessionKey: "t:seed" });
      assert.ok(ofType(events, "message").length >= 3);
      assert.equal(textOf(events), "Seed says: hello seed");
      assert.equal(ofType(events, "tool_result")[0]?.content, "seed\n");
      assert.equal(ofType(events, "token_usage").length, 2);
      assert.equal(ofType(events, "done")[0]?.metadata.reason, "completed");
      assert.ok(seed.requests.includes("GET /"), "the seed's health check on GET /");
      assert.ok(seed.requests.some((r) => /^POST \/session\/ses_seed_1\/message/.test(r)));
    } finally {
      await seed.close();
    }
  });
});

describe("a server with a password", () => {
  let locked: OpenCodeServer;
  before(async () => {
    locked = await startOpenCode({ modelBaseURL: real.model.baseURL, password: "s3cret-pass" });
  });
  after(async () => {
    await locked?.stop();
  });

  test("the right password works on every request, the event stream included", async () => {
    const events = await collect(real.backend({ baseUrl: locked.url, password: "s3cret-pass" }), "[[reply:authorised]]", {
      sessionKey: "t:auth",
    });
    assert.equal(textOf(events), "authorised");
  });

  for (const [what, password] of [
    ["a wrong password", "nope"],
    ["no password", ""],
  ] as const) {
    test(`${what}: an auth error that never shows the password`, async () => {
      const events = await collect(real.backend({ baseUrl: locked.url, password }), "hi");
      const [error] = ofType(events, "error");
      assert.equal(error?.metadata.code, "auth");
      assert.match(error?.content ?? "", /POCKETPAW_OPENCODE_PASSWORD/);
      assert.doesNotMatch(JSON.stringify(events), /nope|s3cret/);
    });
  }

  test("credentials in the URL are used and never shown", async () => {
    const url = new URL(locked.url);
    url.username = "opencode";
    url.password = "s3cret-pass";
    const client = new OpenCodeClient({ baseUrl: url.toString() });
    assert.equal((await client.health()).healthy, true);
    assert.doesNotMatch(client.displayUrl, /s3cret/);
  });
});
