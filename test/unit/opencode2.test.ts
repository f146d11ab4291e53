// An OpenCode 2 server (none is installable here) imitated on loopback from what is known of it
// (/work/shared/opencode-versions.md; anomalyco/opencode#50369, #49210): every route behind Basic
// auth with a generated password, refused with its web page; the web page as the catch-all (so
// `/global/health` answers HTML); its API under /api (`/api/health` before 2.0.4, `/api/info`
// since); `POST /session` 405. pocketpaw must say it is OpenCode 2 and what to do, rather than
// "not an OpenCode server" or "set a password".
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { OpenCodeBackend } from "../../src/opencode/backend/backend.js";
import { UnsupportedVersionError } from "../../src/opencode/rest/errors.js";
import { collect, ofType } from "../support/run.js";

const PASSWORD = "generated-0f3c";
const PAGE = "<!doctype html><html><head><title>OpenCode</title></head><body><div id=root></div></body></html>";

function startOpenCode2(apiInfo: boolean): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const authorised = req.headers.authorization === `Basic ${Buffer.from(`opencode:${PASSWORD}`).toString("base64")}`;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (!authorised) {
      const api = path.startsWith("/api/");
      res.writeHead(401, {
        "www-authenticate": 'Basic realm="opencode"',
        "content-type": api ? "application/json" : "text/html; charset=utf-8",
      });
      res.end(api ? JSON.stringify({ _tag: "Unauthorized", message: "Authentication required" }) : PAGE);
      return;
    }
    if (path === "/api/info" && apiInfo) return json(200, { name: "opencode", version: "2.0.12", pid: 4242 });
    if (path === "/api/health") return json(200, { healthy: true });
    if (path.startsWith("/api/")) return json(404, { _tag: "NotFound", message: `no route ${path}` });
    if (req.method !== "GET") return json(405, { _tag: "MethodNotAllowed" });
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(PAGE);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })),
  );
}

describe("an OpenCode 2 server is recognised and refused, saying to run OpenCode 1.x", () => {
  let v2: { url: string; server: Server };
  let early: { url: string; server: Server };
  before(async () => {
    v2 = await startOpenCode2(true);
    early = await startOpenCode2(false);
  });
  after(() => {
    for (const s of [v2, early]) s?.server.closeAllConnections();
    return Promise.all([v2, early].map((s) => new Promise((resolve) => s?.server.close(resolve))));
  });

  const refusal = async (backend: OpenCodeBackend) => {
    const error = await backend.checkServer().then(
      () => undefined,
      (e: unknown) => e,
    );
    await backend.close();
    assert.ok(error instanceof UnsupportedVersionError, String(error));
    assert.equal(error.code, "unsupported_version");
    assert.match(error.message, /this is OpenCode 2.*npm install -g opencode-ai@1/);
    return error;
  };

  test("without its password: from the page it refuses with (1.x refuses with an empty body)", async () => {
    const error = await refusal(new OpenCodeBackend({ baseUrl: v2.url }));
    assert.equal(error.version, "2.x");
  });

  test("with its password: from its /api routes, with the release when /api/info tells it", async () => {
    assert.equal((await refusal(new OpenCodeBackend({ baseUrl: v2.url, password: PASSWORD }))).version, "2.0.12");
    assert.equal((await refusal(new OpenCodeBackend({ baseUrl: early.url, password: PASSWORD }))).version, "2.x");
  });

  test("a run ends with unsupported_version, then done; doctor says what to install", async () => {
    const backend = new OpenCodeBackend({ baseUrl: v2.url });
    const events = await collect(backend, "hi", { sessionKey: "v2:run" });
    assert.deepEqual(
      events.map((e) => e.type),
      ["error", "done"],
    );
    assert.equal(ofType(events, "error")[0]?.metadata.code, "unsupported_version");
    const checks = await backend.diagnose();
    const check = checks.find((c) => c.name === "OpenCode");
    assert.equal(check?.status, "fail");
    assert.match(check?.fix ?? "", /opencode-ai@1/);
    await backend.close();
  });
});
