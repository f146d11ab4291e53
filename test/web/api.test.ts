import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort } from "../../src/opencode/local-server/managed-server.js";
import { checkListenAddress, UnsafeListenError } from "../../src/web/security.js";
import { runCli } from "../support/cli.js";
import { eventually } from "../support/run.js";
import { eventOf, eventsOf, type Frame, postMessage, readFrames, replyPermission, startWebStack, type WebStack } from "./harness.js";

let stack: WebStack;
let base: string;

before(async () => {
  stack = await startWebStack();
  base = stack.url;
  console.log(`# stack up: opencode in ${stack.opencode.startupMs} ms`);
});

after(async () => {
  await stack?.stop();
});

const path = (key: string) => `${base}/api/conversations/${encodeURIComponent(key)}`;
const textOf = (frames: Frame[]) =>
  eventsOf(frames)
    .filter((e) => e.type === "message")
    .map((e) => e.content)
    .join("");
const seqOf = (frame: Frame) => Number(frame.id?.slice(frame.id.lastIndexOf("-") + 1));
const post = (url: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** A GET with exactly these headers (fetch() sets Host and Sec-Fetch-Mode itself). Answers the status. */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

describe("POST /api/conversations/{key}/messages: the answer as Server-Sent Events", () => {
  // First: the server's first prompt in a directory is its slowest (plugins load).
  test("a tool step: tool_use with its input, then its whole output", async () => {
    const events = eventsOf(await readFrames(await postMessage(base, "web:tool", { text: "[[bash:printf 'one\\ntwo\\n']]" })));
    const use = events.find((e) => e.type === "tool_use");
    const result = events.find((e) => e.type === "tool_result");
    assert.equal(use?.type === "tool_use" && use.metadata.input.command, "printf 'one\\ntwo\\n'");
    assert.equal(result?.content, "one\ntwo\n");
  });

  test("text streams frame by frame, each with an id, and done is last", async () => {
    const started = Date.now();
    const response = await postMessage(base, "web:stream", { text: "[[delay:40]][[chunks:12]]" });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const arrivals: number[] = [];
    const seen: string[] = [];
    const frames = await readFrames(response, (frame) => {
      const event = eventOf(frame);
      seen.push(`${event.type}${event.type === "status" ? `:${event.metadata.state}` : ""}@${Date.now() - started}`);
      if (event.type === "message") arrivals.push(Date.now() - started);
      return event.type === "done";
    });
    assert.equal(textOf(frames), Array.from({ length: 12 }, (_, i) => `w${i} `).join(""));
    // Streamed, not buffered: the first chunk came long before the last.
    assert.ok((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0) > 200, `events (type@ms): ${seen.join(" ")}`);
    const runId = frames[0]?.id?.split("-")[0];
    assert.ok(runId);
    assert.deepEqual(
      frames.map(seqOf),
      frames.map((_, i) => i + 1),
      "ids <run>-1, -2, … in order",
    );
    assert.ok(frames.every((f) => f.id?.startsWith(`${runId}-`)));
    const done = eventOf(frames.at(-1) as Frame);
    assert.equal(done.type === "done" && done.metadata.reason, "completed");
  });

  test("a client that drops and comes back with Last-Event-ID gets exactly what it missed; the run went on", async () => {
    const key = "web:reconnect";
    const first = await postMessage(base, key, { text: "[[delay:50]][[chunks:30]]" });
    const before = await readFrames(first, (_, all) => all.filter((f) => eventOf(f).type === "message").length === 5);
    // readFrames cancelled the body: the connection is gone. The run must not notice.
    const last = before.at(-1) as Frame;
    await new Promise((r) => setTimeout(r, 300));
    const again = await fetch(`${path(key)}/events`, { headers: { "last-event-id": last.id as string } });
    assert.equal(again.status, 200);
    const after = await readFrames(again);
    assert.equal(seqOf(after[0] as Frame), seqOf(last) + 1, "resumes right after the last frame received");
    assert.deepEqual(
      after.map(seqOf),
      after.map((_, i) => seqOf(last) + 1 + i),
      "nothing repeated, nothing skipped",
    );
    assert.equal(textOf([...before, ...after]), Array.from({ length: 30 }, (_, i) => `w${i} `).join(""));
    const done = eventOf(after.at(-1) as Frame);
    assert.equal(done.type === "done" && done.metadata.reason, "completed");

    // Without Last-Event-ID (or with another run's), the whole run again; the query form works too.
    const whole = await readFrames(await fetch(`${path(key)}/events`, { headers: { "last-event-id": "nope-3" } }));
    assert.deepEqual(
      whole.map((f) => f.id),
      [...before, ...after].map((f) => f.id),
    );
    const tail = await readFrames(await fetch(`${path(key)}/events?lastEventId=${encodeURIComponent(last.id as string)}`));
    assert.equal(tail.length, after.length);
  });

  test("two conversations at once get their own answers; a second message to a busy one is refused", async () => {
    const a = postMessage(base, "web:two-a", { text: "[[delay:20]][[reply:alpha alpha alpha alpha alpha]]" });
    const b = postMessage(base, "web:two-b", { text: "[[delay:20]][[reply:omega omega omega omega omega]]" });
    const [ra, rb] = await Promise.all([a, b]);
    const busy = await postMessage(base, "web:two-a", { text: "me too" });
    assert.equal(busy.status, 409);
    assert.equal((await errorOf(busy)).code, "busy");
    const [fa, fb] = await Promise.all([readFrames(ra), readFrames(rb)]);
    assert.equal(textOf(fa), "alpha alpha alpha alpha alpha");
    assert.equal(textOf(fb), "omega omega omega omega omega");
  });
});

describe("stop and permissions", () => {
  test("POST …/stop ends the run as stopped, on the server too", async () => {
    const key = "web:stop";
    const response = await postMessage(base, key, { text: "[[delay:100]][[chunks:100]]" });
    let stopped: unknown;
    const frames = await readFrames(response, (frame, all) => {
      if (eventOf(frame).type === "message" && all.filter((f) => eventOf(f).type === "message").length === 3) {
        stopped = post(`${path(key)}/stop`).then((r) => r.json());
      }
      return eventOf(frame).type === "done";
    });
    assert.deepEqual(await stopped, { stopped: true });
    const done = eventOf(frames.at(-1) as Frame);
    assert.equal(done.type === "done" && done.metadata.reason, "stopped");
    assert.ok(textOf(frames).length < 100 * 4, "cut short");
    const sessionId = done.type === "done" ? (done.metadata.sessionId as string) : "";
    assert.equal((await stack.backend.client.sessionStatus())[sessionId]?.type ?? "idle", "idle");
    assert.deepEqual(await (await post(`${path(key)}/stop`)).json(), { stopped: false }, "nothing left to stop");
  });

  test("a stop sent right after the message, before the prompt reached the server, still stops it", async () => {
    const key = "web:stop-early";
    const response = await postMessage(base, key, { text: "[[delay:100]][[chunks:100]]" });
    assert.deepEqual(await (await post(`${path(key)}/stop`)).json(), { stopped: true });
    const done = eventOf((await readFrames(response)).at(-1) as Frame);
    assert.equal(done.type === "done" && done.metadata.reason, "stopped");
  });

  test("a permission request is answered through POST /api/permissions/{id}", async () => {
    const response = await postMessage(base, "web:permission", { text: "[[bash:echo ask-api]]" });
    const frames = await readFrames(response, (frame) => {
      const event = eventOf(frame);
      if (event.type === "permission_request") {
        void replyPermission(base, event.metadata.id, "once").then(async (r) => assert.equal(r.status, 200, await r.text()));
      }
      return event.type === "done";
    });
    const events = eventsOf(frames);
    const request = events.find((e) => e.type === "permission_request");
    assert.deepEqual(request?.type === "permission_request" && request.metadata.patterns, ["echo ask-api"]);
    const result = events.find((e) => e.type === "tool_result");
    assert.equal(result?.content, "ask-api\n");
  });
});

describe("conversations", () => {
  test("listed, read back as a transcript of AgentEvents, renamed, forgotten", async () => {
    const key = "web:transcript";
    await readFrames(await postMessage(base, key, { text: "[[reply:first answer]]" }));
    await readFrames(await postMessage(base, key, { text: "[[bash:echo listed]]" }));
    const list = (await (await fetch(`${base}/api/conversations`)).json()) as {
      conversations: Array<{ key: string; title: string; running: boolean }>;
    };
    const entry = list.conversations.find((c) => c.key === key);
    assert.equal(entry?.running, false);
    assert.equal(list.conversations[0]?.key, key, "newest first");

    const read = (await (await fetch(path(key))).json()) as {
      turns: Array<{ text: string; events: Array<{ type: string; content: string }> }>;
      run: { running: boolean };
    };
    assert.deepEqual(
      read.turns.map((t) => t.text),
      ["[[reply:first answer]]", "[[bash:echo listed]]"],
    );
    assert.equal(
      read.turns[0]?.events
        .filter((e) => e.type === "message")
        .map((e) => e.content)
        .join(""),
      "first answer",
    );
    assert.equal(read.turns[1]?.events.find((e) => e.type === "tool_result")?.content, "listed\n");
    assert.equal(read.run.running, false);

    const renamed = await fetch(path(key), {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "Renamed" }),
    });
    assert.equal(renamed.status, 200);
    const again = (await (await fetch(`${base}/api/conversations`)).json()) as { conversations: Array<{ key: string; title: string }> };
    assert.equal(again.conversations.find((c) => c.key === key)?.title, "Renamed");

    assert.equal((await fetch(path(key), { method: "DELETE" })).status, 200);
    assert.equal((await fetch(path(key))).status, 404);
    assert.equal((await errorOf(await fetch(`${path(key)}/events`))).code, "no_run");
    assert.equal((await fetch(path(key), { method: "DELETE" })).status, 404);
  });

  test("health, backends, models and the OpenAPI document", async () => {
    const health = (await (await fetch(`${base}/api/health`)).json()) as { ok: boolean; opencode: { healthy: boolean; version: string } };
    assert.equal(health.ok, true);
    assert.equal(health.opencode.version, "1.18.33");
    const backends = (await (await fetch(`${base}/api/backends`)).json()) as {
      active: string;
      backends: Array<{ name: string; capabilities: string[] }>;
    };
    assert.equal(backends.active, "opencode");
    assert.equal(backends.backends.length, 6);
    assert.ok(backends.backends.find((b) => b.name === "opencode")?.capabilities.includes("streaming"));
    const models = (await (await fetch(`${base}/api/models`)).json()) as { models: Array<{ id: string }> };
    assert.ok(
      models.models.some((m) => m.id === "fake/fake-model"),
      "the server's configured provider",
    );
    const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.equal(doc.openapi, "3.1.0");
    for (const route of [
      "/api/conversations/{key}/messages",
      "/api/conversations/{key}/events",
      "/api/conversations/{key}/stop",
      "/api/permissions/{id}",
      "/api/conversations",
      "/api/conversations/{key}",
      "/api/health",
      "/api/backends",
    ]) {
      assert.ok(doc.paths[route], route);
    }
  });
});

describe("bad requests get a JSON error with the right status", () => {
  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    [
      "not JSON content",
      () => fetch(`${path("web:bad")}/messages`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }),
      415,
      "unsupported_media_type",
    ],
    ["broken JSON", () => postMessage(base, "web:bad", "{text:"), 400, "bad_request"],
    ["no text", () => postMessage(base, "web:bad", {}), 400, "bad_request"],
    ["empty text", () => postMessage(base, "web:bad", { text: "   " }), 400, "bad_request"],
    ["an unknown field", () => postMessage(base, "web:bad", { text: "hi", evil: true }), 400, "bad_request"],
    ["a model that is not provider/model", () => postMessage(base, "web:bad", { text: "hi", model: "gpt" }), 400, "bad_request"],
    ["negative max turns", () => postMessage(base, "web:bad", { text: "hi", maxTurns: -1 }), 400, "bad_request"],
    [
      "a body past the limit",
      () =>
        fetch(path("web:bad"), {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ title: "x".repeat(600_000) }),
        }),
      413,
      "payload_too_large",
    ],
    [
      "a message past its (larger) limit",
      () => postMessage(base, "web:bad", { text: "x".repeat(15 * 1024 * 1024) }),
      413,
      "payload_too_large",
    ],
    [
      "a file past the attachment limit",
      () =>
        postMessage(base, "web:bad", {
          text: "x",
          files: [{ name: "big.bin", mime: "application/octet-stream", data: "A".repeat(14_000_000) }],
        }),
      413,
      "payload_too_large",
    ],
    ["a bad conversation key", () => postMessage(base, "bad key!", { text: "hi" }), 400, "bad_request"],
    ["a bad permission reply", () => post(`${base}/api/permissions/per_x`, { reply: "maybe" }), 400, "bad_request"],
    ["an unknown permission", () => post(`${base}/api/permissions/per_nothing`, { reply: "once" }), 404, "not_found"],
    ["an unknown route", () => fetch(`${base}/api/nothing`), 404, "not_found"],
    [
      "renaming nothing",
      () =>
        fetch(path("web:none"), { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "x" }) }),
      404,
      "not_found",
    ],
  ];
  for (const [what, send, status, code] of cases) {
    test(what, async () => {
      const error = await errorOf(await send());
      assert.equal(error.status, status, error.message);
      assert.equal(error.code, code);
      assert.ok(error.message.length > 20, `a sentence: ${error.message}`);
    });
  }

  test("the named problems are in the message", async () => {
    const error = await errorOf(await postMessage(base, "web:bad", { text: "hi", evil: true, maxTurns: "3" }));
    assert.match(error.message, /unknown field "evil"/);
    assert.match(error.message, /"maxTurns"/);
  });
});

describe("safe by default", () => {
  test("requests from other sites are refused, reading or writing", async () => {
    const evil = await post(`${path("web:csrf")}/messages`, { text: "hi" }, { origin: "http://evil.example" });
    assert.equal(evil.status, 403);
    assert.equal((await errorOf(evil)).code, "forbidden");
    assert.equal((await post(`${path("web:csrf")}/messages`, { text: "hi" }, { origin: "null" })).status, 403);
    assert.equal(
      (await fetch(`${base}/api/conversations`, { headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" } })).status,
      403,
    );
    // Another port of localhost is another origin ("same-site" to browsers).
    assert.equal(
      (await post(`${base}/api/conversations/web:csrf/stop`, undefined, { origin: "http://127.0.0.1:1", "sec-fetch-site": "same-site" }))
        .status,
      403,
    );
    // The page itself may be opened from a link elsewhere.
    assert.equal(await rawGet(`${base}/`, { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }), 200);
    assert.equal(
      await rawGet(`${base}/api/conversations`, { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }),
      403,
      "the API is never for other sites",
    );
    // The page's own requests pass.
    const own = await post(`${path("web:csrf")}/stop`, undefined, { origin: base, "sec-fetch-site": "same-origin" });
    assert.equal(own.status, 200);
    assert.equal(stack.model.requests.filter((r) => r.userText === "hi").length, 0, "nothing reached the model");
  });

  test("on loopback, requests addressed to another host name are refused (DNS rebinding)", async () => {
    assert.equal(await rawGet(`${base}/api/conversations`, { host: `evil.example:${new URL(base).port}` }), 403);
    assert.equal(await rawGet(`${base}/`, { host: `evil.example:${new URL(base).port}` }), 403);
    assert.equal(await rawGet(`${base}/api/backends`, { host: `localhost:${new URL(base).port}` }), 200);
  });

  test("with a token, every request needs it: Bearer for the API, a cookie set from /?token= for the page", async () => {
    const token = "t0ken-for-the-web-tests-123456";
    const guarded = await stack.dashboard({ token });
    const url = guarded.url;
    const missing = await fetch(`${url}/api/conversations`);
    assert.equal(missing.status, 401);
    assert.equal((await errorOf(missing)).code, "unauthorized");
    assert.equal((await fetch(`${url}/api/health`, { headers: { authorization: "Bearer wrong-token-0000000000" } })).status, 401);
    assert.equal((await postMessage(url, "web:token", { text: "hi" })).status, 401);
    assert.equal((await fetch(`${url}/`)).status, 401);
    assert.equal((await fetch(`${url}/app.js`)).status, 401);

    const health = await fetch(`${url}/api/health`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(health.status, 200);
    assert.ok(!(await health.text()).includes(token), "the token is never sent back");

    assert.equal((await fetch(`${url}/?token=wrong`, { redirect: "manual" })).status, 401);
    const open = await fetch(`${url}/?token=${token}`, { redirect: "manual" });
    assert.equal(open.status, 303);
    assert.equal(open.headers.get("location"), "/", "the token leaves the address bar");
    const cookie = open.headers.get("set-cookie") ?? "";
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.ok(!cookie.includes(token), "the cookie holds a value derived from the token, not the token");
    const page = await fetch(`${url}/`, { headers: { cookie: cookie.split(";")[0] as string } });
    assert.equal(page.status, 200);
    assert.ok(!(await page.text()).includes(token));
  });

  test("beyond loopback it refuses to start without a token", () => {
    assert.throws(() => checkListenAddress("0.0.0.0", ""), UnsafeListenError);
    assert.throws(() => checkListenAddress("192.168.1.20", ""), /POCKETPAW_DASHBOARD_TOKEN/);
    for (const loopback of ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"]) checkListenAddress(loopback, "");
    checkListenAddress("0.0.0.0", "a-token-of-sixteen-chars");
  });

  test("the page is served with a content security policy that forbids inline and foreign script", async () => {
    const page = await fetch(`${base}/`);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  });
});

describe("pocketpaw serve", () => {
  test("serves the dashboard until SIGTERM, then exits 0; off loopback without a token it refuses with exit 2", async () => {
    const home = mkdtempSync(join(tmpdir(), "pocketpaw-serve-"));
    try {
      const env = { POCKETPAW_HOME: home, POCKETPAW_OPENCODE_BASE_URL: stack.opencode.url };
      const port = await freePort();
      let served: Promise<number> | undefined;
      const result = await runCli(["serve", "--port", String(port)], env, {
        timeoutMs: 30_000,
        onStart(child, output) {
          served = eventually(() => (output().stdout.includes("listening on") ? true : undefined), 15_000, "the ready line").then(
            async () => {
              const health = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { opencode: { version: string } };
              child.kill("SIGTERM");
              return health.opencode.version === "1.18.33" ? 1 : 0;
            },
          );
        },
      });
      assert.equal(await served, 1, "health answered through the served API");
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));

      const refused = await runCli(["serve", "--host", "0.0.0.0", "--port", String(port)], env, { timeoutMs: 20_000 });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /POCKETPAW_DASHBOARD_TOKEN/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
