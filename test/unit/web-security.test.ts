import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { doneEvent } from "../../src/agent/events.js";
import { StoreError, type StoreProblem } from "../../src/sessions/sqlite-store.js";
import { dashboardApp } from "../../src/web/app.js";
import { ConversationRuns } from "../../src/web/runs.js";
import { FakeBackend } from "../support/fake-backend.js";

/**
 * The dashboard's HTTP surface without any server: the Hono app with a fake backend (a run that
 * goes on until stopped), requests through app.request().
 */
const TOKEN = "t0ken-for-the-unit-tests-1234";

function stack(options: { token?: string; maxActive?: number; backend?: FakeBackend } = {}) {
  const backend =
    options.backend ??
    new FakeBackend(async function* (_text, run) {
      yield { type: "status", content: "", metadata: { state: "busy" } };
      if (!run.signal?.aborted) await new Promise((resolve) => run.signal?.addEventListener("abort", resolve));
      yield doneEvent({ stopped: true, failed: false });
    });
  const runs = new ConversationRuns(backend, { maxActive: options.maxActive ?? 5 });
  const app = dashboardApp({ backend, runs, version: "test", model: "", token: options.token ?? "", loopback: true });
  const request = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}, port = 8888) =>
    app.request(path, { ...init, headers: { host: `127.0.0.1:${port}`, ...init.headers } });
  return { app, runs, request };
}

const message = (text: string) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

describe("the dashboard's cookie", () => {
  test("holds a value derived from the token, never the token; HttpOnly, SameSite=Strict, Path=/, named after the port", async () => {
    const { request } = stack({ token: TOKEN });
    const open = await request(`/?token=${TOKEN}`);
    assert.equal(open.status, 303);
    assert.equal(open.headers.get("location"), "/");
    const setCookie = open.headers.get("set-cookie") ?? "";
    assert.ok(!setCookie.includes(TOKEN), setCookie);
    assert.match(setCookie, /^pocketpaw_session_8888=[A-Za-z0-9_-]{43}; /);
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, /; Path=\//);
    assert.doesNotMatch(setCookie, /; Secure/, "plain http");
    const cookie = setCookie.split(";")[0] as string;
    assert.equal((await request("/", { headers: { cookie } })).status, 200);
    assert.equal((await request("/api/backends", { headers: { cookie } })).status, 200);

    // The token itself in a cookie, under either name, is no way in; nor is another port's cookie.
    for (const raw of [`pocketpaw_token=${TOKEN}`, `pocketpaw_session_8888=${TOKEN}`]) {
      assert.equal((await request("/api/backends", { headers: { cookie: raw } })).status, 401, raw);
    }
    assert.equal((await request("/", { headers: { cookie } }, 9999)).status, 401, "another pocketpaw's cookie name");
    const other = await stack({ token: "another-token-0123456789" }).request("/api/backends", { headers: { cookie } });
    assert.equal(other.status, 401, "another token's cookie value");
  });

  test("over https (behind a TLS proxy): Secure too", async () => {
    const open = await stack({ token: TOKEN }).request(`/?token=${TOKEN}`, { headers: { "x-forwarded-proto": "https" } });
    assert.match(open.headers.get("set-cookie") ?? "", /; Secure/);
  });
});

describe("redirects", () => {
  test("/?token= sends the browser only to a path of this server, never to //another.host", async () => {
    const { request } = stack({ token: TOKEN });
    const cases: Array<[string, string]> = [
      [`//evil.example/?token=${TOKEN}`, "/evil.example/"],
      [`/\\evil.example/?token=${TOKEN}`, "/evil.example/"],
      [`///evil.example/x?token=${TOKEN}&a=1`, "/evil.example/x?a=1"],
      [`/?token=${TOKEN}#web:1`, "/"],
      [`/index.html?token=${TOKEN}`, "/index.html"],
    ];
    for (const [path, location] of cases) {
      const response = await request(path);
      assert.equal(response.status, 303, path);
      assert.equal(response.headers.get("location"), location, path);
    }
  });
});

describe("API statuses and headers", () => {
  test("a known route with a wrong method: 405 with Allow; an unknown route: 404", async () => {
    const { request } = stack();
    const cases: Array<[string, string, string]> = [
      ["DELETE", "/api/health", "GET, HEAD"],
      ["POST", "/api/conversations", "GET, HEAD"],
      ["PUT", "/api/conversations/web:1", "GET, PATCH, DELETE, HEAD"],
      ["GET", "/api/conversations/web:1/messages", "POST"],
      ["GET", "/api/permissions/per_1", "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await request(path, { method });
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
      assert.equal((await errorOf(response)).code, "method_not_allowed");
    }
    const unknown = await request("/api/nothing", { method: "DELETE" });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get("allow"), null);
  });

  test("409 busy and 429 too many runs say when to try again (Retry-After)", async () => {
    const { request, runs } = stack({ maxActive: 1 });
    try {
      const first = await request("/api/conversations/web:a/messages", message("hi"));
      assert.equal(first.status, 200);
      const busy = await request("/api/conversations/web:a/messages", message("again"));
      assert.equal((await errorOf(busy)).code, "busy");
      assert.equal(busy.headers.get("retry-after"), "1");
      const full = await request("/api/conversations/web:b/messages", message("hi"));
      assert.equal((await errorOf(full)).code, "too_many_runs");
      assert.equal(full.headers.get("retry-after"), "5");
      await first.body?.cancel();
    } finally {
      await runs.close();
    }
  });

  test("HSTS only for a request that came over https (X-Forwarded-Proto from a TLS proxy), never over plain http", async () => {
    const { request } = stack();
    for (const path of ["/", "/api/backends", "/api/nothing"]) {
      assert.equal((await request(path)).headers.get("strict-transport-security"), null, path);
    }
    const https = await request("/", { headers: { "x-forwarded-proto": "https" } });
    assert.match(https.headers.get("strict-transport-security") ?? "", /^max-age=\d+/);
  });
});

describe("the page's files", () => {
  test("path traversal reaches no file: only the page's own files are served", async () => {
    const { request } = stack();
    assert.equal((await request("/app.js")).status, 200);
    for (const path of ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/vendor/..%2f..%2fpackage.json", "/..%5c..%5cpackage.json"]) {
      const response = await request(path);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /root:|"name": "pocketpaw"/, path);
    }
  });
});

describe("conversation store failures while serving", () => {
  /** A backend whose store fails as SqliteSessionStore does. */
  function failing(problem: StoreProblem, text: string): FakeBackend {
    const backend = new FakeBackend();
    backend.list = () => {
      throw new StoreError(text, problem);
    };
    return backend;
  }

  test("say what happened, with a code per problem: locked (503, Retry-After), damaged, not a pocketpaw store", async () => {
    const cases: Array<[StoreProblem, string, number, string]> = [
      ["locked", "The conversation store is locked by another process (waited 5 s to read it).", 503, "store_locked"],
      ["damaged", "The conversation store is damaged or is not a pocketpaw store (file is not a database).", 500, "store_damaged"],
      ["foreign", "pocketpaw.db is another program's SQLite database, not a pocketpaw store; it was left untouched.", 500, "store_foreign"],
      ["unavailable", "Cannot write to the conversation store: attempt to write a readonly database.", 500, "store_unavailable"],
    ];
    for (const [problem, text, status, code] of cases) {
      const response = await stack({ backend: failing(problem, text) }).request("/api/conversations");
      assert.deepEqual(await errorOf(response), { status, code, message: text });
      assert.equal(response.headers.get("retry-after"), problem === "locked" ? "5" : null);
    }
  });
});
