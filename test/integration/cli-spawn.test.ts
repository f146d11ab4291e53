import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ScriptedModel, scriptedProviderConfig, startScriptedModel } from "../../src/opencode/local-server/scripted-model.js";
import { runCli } from "../support/cli.js";
import { freePort } from "../support/opencode-server.js";
import { startHtmlServer } from "../support/seed-servers.js";

// --spawn starts the user's own `opencode serve` (not isolated): here "the user" is a throwaway
// HOME and XDG folders whose OpenCode configuration is the scripted model, so it runs offline.
let model: ScriptedModel;
let root: string;
let env: Record<string, string>;

before(async () => {
  model = await startScriptedModel();
  root = mkdtempSync(join(tmpdir(), "pocketpaw-spawn-"));
  for (const dir of ["home", "config", "data", "cache", "state", "project", "paw"]) mkdirSync(join(root, dir));
  env = {
    HOME: join(root, "home"),
    XDG_CONFIG_HOME: join(root, "config"),
    XDG_DATA_HOME: join(root, "data"),
    XDG_CACHE_HOME: join(root, "cache"),
    XDG_STATE_HOME: join(root, "state"),
    OPENCODE_CONFIG_CONTENT: JSON.stringify(scriptedProviderConfig(model.baseURL)),
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
    OPENCODE_DISABLE_SHARE: "1",
    POCKETPAW_HOME: join(root, "paw"),
    POCKETPAW_OPENCODE_DIRECTORY: join(root, "project"),
  };
});

after(async () => {
  await model?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(!socket.destroy()));
    socket.once("error", () => resolve(false));
  });
}

describe("--spawn", () => {
  test("nothing answers at a local URL: a managed opencode serve is started, used, and stopped on exit", async () => {
    const port = await freePort();
    const r = await runCli(["ask", "--session", "spawn:1", "[[reply:answered by a spawned server]]"], {
      ...env,
      POCKETPAW_OPENCODE_BASE_URL: `http://127.0.0.1:${port}`,
      POCKETPAW_OPENCODE_SPAWN: "1",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "answered by a spawned server\n");
    const [, pid] =
      new RegExp(
        `Started opencode serve at http://127\\.0\\.0\\.1:${port} \\(pid (\\d+), ready in [\\d.]+ s, project ${join(root, "project")}\\); it stops when pocketpaw exits\\.`,
      ).exec(r.stderr) ?? [];
    assert.ok(pid, r.stderr);
    assert.throws(() => process.kill(Number(pid), 0), "the server is gone");
    assert.equal(await accepts(port), false, "nothing listens on the port any more");
  });

  test("something already answers: nothing is started (here: not OpenCode, so exit 3)", async () => {
    const html = await startHtmlServer();
    try {
      const r = await runCli(["ask", "--spawn", "hi"], { ...env, POCKETPAW_OPENCODE_BASE_URL: html.url });
      assert.equal(r.code, 3);
      assert.ok(!r.stderr.includes("Started opencode serve"));
      assert.match(r.stderr, /does not look like an OpenCode server/);
    } finally {
      await html.close();
    }
  });

  test("a URL on another machine: refused with exit 2, saying why", async () => {
    const r = await runCli(["chat", "--spawn", "--url", "http://example.invalid:4096"], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--spawn starts a server only on this machine, and http:\/\/example\.invalid:4096 \(from flag\) is not/);
  });
});
