import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { freePort } from "../../src/opencode/local-server/managed-server.js";
import { OpenCodeClient } from "../../src/opencode/rest/client.js";
import { ApiError, AuthError, NotOpenCodeError, TimeoutError, UnreachableError } from "../../src/opencode/rest/errors.js";

/** A loopback server answering each path the way some server (or some OpenCode release) does. */
let server: Server;
let url: string;
const seen: { path: string; auth?: string }[] = [];

before(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    seen.push({ path, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path.startsWith("/global/health")) return json(200, { healthy: true, version: "1.18.33" });
    if (path.startsWith("/session/ses_new/message"))
      return json(404, { name: "NotFoundError", data: { message: "Session not found: ses_new" } });
    if (path.startsWith("/session/ses_old/prompt_async")) {
      // OpenCode 1.2's zod-style 400
      return json(400, { data: {}, error: [{ path: ["model"], message: "Expected object, received string" }], success: false });
    }
    if (path.startsWith("/session/ses_new/prompt_async"))
      return json(400, { name: "BadRequest", data: { message: "model: expected object", kind: "validation" } });
    if (path.startsWith("/session/ses_html")) {
      res.writeHead(200, { "content-type": "text/html" });
      return res.end("<!doctype html><title>OpenCode</title>");
    }
    if (path.startsWith("/session/ses_text")) {
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end("hello there");
    }
    if (path.startsWith("/session/ses_locked")) {
      res.writeHead(401, { "www-authenticate": "Basic" });
      return res.end("Unauthorized");
    }
    if (path.startsWith("/session/ses_slow")) return setTimeout(() => json(200, {}), 2_000);
    if (path.startsWith("/event")) {
      res.writeHead(200, { "content-type": "text/html" });
      return res.end("<html></html>");
    }
    json(500, { name: "UnknownError", data: { message: "boom" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("OpenCodeClient errors", () => {
  const client = () => new OpenCodeClient({ baseUrl: url, timeoutMs: 500 });

  test("404 with OpenCode's error body: ApiError with name and message", async () => {
    const error = await client()
      .messages("ses_new")
      .catch((e) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    assert.equal(error.errorName, "NotFoundError");
    assert.ok(error.isNotFound);
    assert.match(error.message, /Session not found: ses_new/);
  });

  test("400 bodies of both shapes (1.2's zod, 1.15's {name,data}) are read", async () => {
    const body = { parts: [{ type: "text" as const, text: "x" }] };
    const old = await client()
      .promptAsync("ses_old", body)
      .catch((e) => e);
    assert.ok(old instanceof ApiError);
    assert.equal(old.code, "bad_request");
    assert.match(old.message, /model Expected object, received string/);
    const current = await client()
      .promptAsync("ses_new", body)
      .catch((e) => e);
    assert.match(current.message, /BadRequest\): model: expected object/);
  });

  test("an HTML page where JSON is due: not an OpenCode server", async () => {
    const error = await client()
      .getSession("ses_html")
      .catch((e) => e);
    assert.ok(error instanceof NotOpenCodeError);
    assert.match(error.message, /GET \/session\/ses_html answered with an HTML page \(HTTP 200\) where JSON was expected/);
  });

  test("a 200 that is not JSON: not an OpenCode server, with a preview", async () => {
    const error = await client()
      .getSession("ses_text")
      .catch((e) => e);
    assert.ok(error instanceof NotOpenCodeError);
    assert.match(error.message, /not JSON \(text\/plain\): hello there/);
  });

  test("401: an auth error naming the setting, and Basic auth is sent when configured", async () => {
    const error = await client()
      .getSession("ses_locked")
      .catch((e) => e);
    assert.ok(error instanceof AuthError);
    assert.match(error.message, /needs a password.*POCKETPAW_OPENCODE_PASSWORD/);
    const withPassword = new OpenCodeClient({ baseUrl: url, password: "pw", timeoutMs: 500 });
    const refused = await withPassword.getSession("ses_locked").catch((e) => e);
    assert.match(refused.message, /refused the credentials/);
    assert.doesNotMatch(refused.message, /pw\b/);
    assert.equal(seen.at(-1)?.auth, `Basic ${Buffer.from("opencode:pw").toString("base64")}`);
  });

  test("a slow answer: a timeout error, not a hang", async () => {
    const started = Date.now();
    const error = await client()
      .getSession("ses_slow")
      .catch((e) => e);
    assert.ok(error instanceof TimeoutError);
    assert.ok(Date.now() - started < 1_500);
    assert.match(error.message, /did not answer reading the session within 0.5 s/);
  });

  test("nothing listening: unreachable, with the URL and how to start a server", async () => {
    const port = await freePort();
    const error = await new OpenCodeClient({ baseUrl: `http://127.0.0.1:${port}` }).health().catch((e) => e);
    assert.ok(error instanceof UnreachableError);
    assert.match(error.message, new RegExp(`http://127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
    assert.ok(error.message.includes(`\`opencode serve --port ${port}\``), `the configured port, not 4096: ${error.message}`);
  });

  test("an event stream that is not text/event-stream is refused before reading", async () => {
    const error = await client()
      .events(new AbortController().signal)
      .catch((e) => e);
    assert.ok(error instanceof NotOpenCodeError);
    assert.match(error.message, /GET \/event answered with text\/html, not a stream/);
  });

  test("the directory goes with every request", async () => {
    await new OpenCodeClient({ baseUrl: url, directory: "/srv/my project" }).health();
    assert.equal(seen.at(-1)?.path, "/global/health?directory=%2Fsrv%2Fmy+project");
  });
});
