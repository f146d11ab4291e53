import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { AgentEvent } from "../../src/agent/events.js";
import { runCli } from "../support/cli.js";
import { type ScriptedModel, startScriptedModel } from "../../src/demo/scripted-model.js";
import { type OpenCodeServer, freePort, startOpenCode } from "../support/opencode-server.js";
import { startHtmlServer } from "../support/seed-servers.js";

let model: ScriptedModel;
let server: OpenCodeServer;
let home: string;
let env: Record<string, string>;

before(async () => {
  model = await startScriptedModel();
  // This server asks before every bash command, so the CLI's permission handling is exercised.
  server = await startOpenCode({ modelBaseURL: model.baseURL, extraConfig: { permission: { bash: "ask" } } });
  home = mkdtempSync(join(tmpdir(), "pocketpaw-cli-"));
  env = { POCKETPAW_HOME: home, POCKETPAW_OPENCODE_BASE_URL: server.url, NO_COLOR: "1" };
});

after(async () => {
  await server?.stop();
  await model?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const events = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as AgentEvent);

describe("pocketpaw ask", () => {
  test("streams the reply to stdout and exits 0", async () => {
    const r = await runCli(["ask", "--session", "cli:text", "[[reply:Hello from the CLI test]]"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Hello from the CLI test\n");
    assert.match(r.stderr, /tokens 10 in, 5 out/);
  });

  test("--json prints one AgentEvent per line, ending with done", async () => {
    const r = await runCli(["ask", "--json", "--session", "cli:json", "[[reply:json please]]"], env);
    assert.equal(r.code, 0, r.stderr);
    const list = events(r.stdout);
    assert.equal(list.at(-1)?.type, "done");
    assert.equal(list.filter((e) => e.type === "message").map((e) => e.content).join(""), "json please");
  });

  test("the same --session continues the conversation in the same OpenCode session", async () => {
    const one = await runCli(["ask", "--json", "--session", "cli:again", "[[reply:one]]"], env);
    const two = await runCli(["ask", "--json", "--session", "cli:again", "[[reply:two]]"], env);
    const id = (r: typeof one) => events(r.stdout).find((e) => e.type === "done")?.metadata;
    assert.equal((id(one) as { sessionId: string }).sessionId, (id(two) as { sessionId: string }).sessionId);
  });

  test("--approve once: the permission request and answer are shown, the tool runs", async () => {
    const r = await runCli(["ask", "--approve", "once", "--session", "cli:perm", "[[bash:echo approved]]"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /asks permission for bash: echo approved/);
    assert.match(r.stderr, /allowed once \(--approve\)/);
    assert.match(r.stderr, /✓ bash: approved/);
    assert.equal(r.stdout, "Tool result received: approved\n");
  });

  test("stdin not a terminal and no --approve: the request is rejected, and says why", async () => {
    const r = await runCli(["ask", "--session", "cli:reject", "[[bash:echo nope]]"], env);
    assert.match(r.stderr, /rejected \(stdin is not a terminal; use --approve to allow\)/);
    assert.match(r.stderr, /✗ bash/);
  });

  test("a provider error: exit 1 with the error on stderr", async () => {
    const r = await runCli(["ask", "--session", "cli:fail", "[[error:400]]"], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: The model provider failed \(HTTP 400\): fake 400 failure/);
  });

  test("--max-turns stops the run: exit 1 with a max_turns error", async () => {
    const r = await runCli(["ask", "--json", "--approve", "always", "--max-turns", "1", "--session", "cli:max", "[[steps:4]]"], env);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(events(r.stdout).some((e) => e.type === "error" && e.metadata.code === "max_turns"));
  });

  test("Ctrl-C stops the turn on the server and exits 130", async () => {
    const r = await runCli(["ask", "--session", "cli:interrupt", "[[delay:100]][[chunks:80]]"], env, {
      onStart: (child, output) => {
        const timer = setInterval(() => {
          if (output().stdout.includes("w3 ")) {
            clearInterval(timer);
            child.kill("SIGINT");
          }
        }, 20);
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /Stopping/);
    assert.ok(!r.stdout.includes("w79"), "the answer was cut short");
  });

  test("server unreachable: exit 3 with the URL and how to start a server", async () => {
    const port = await freePort();
    const r = await runCli(["ask", "hi"], { ...env, POCKETPAW_OPENCODE_BASE_URL: `http://127.0.0.1:${port}` });
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`Cannot reach the OpenCode server at http://127\\.0\\.0\\.1:${port}`));
    assert.match(r.stderr, /opencode serve --port 4096/);
  });

  test("not an OpenCode server: exit 3", async () => {
    const html = await startHtmlServer();
    try {
      const r = await runCli(["ask", "hi"], { ...env, POCKETPAW_OPENCODE_BASE_URL: html.url });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /does not look like an OpenCode server/);
    } finally {
      await html.close();
    }
  });

  test("bad settings: exit 2 with one line naming the setting and its source", async () => {
    const r = await runCli(["ask", "hi"], { ...env, POCKETPAW_OPENCODE_MAX_TURNS: "-3" });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "pocketpaw: POCKETPAW_OPENCODE_MAX_TURNS=-3 (from the environment) is not valid: expected a whole number ≥ 0 (0 = unlimited)\n");
    const file = mkdtempSync(join(tmpdir(), "pocketpaw-cfg-"));
    try {
      writeFileSync(join(file, "config.json"), JSON.stringify({ opencode_model: "gpt4" }));
      const c = await runCli(["ask", "hi"], { ...env, POCKETPAW_HOME: file });
      assert.equal(c.code, 2);
      assert.match(c.stderr, /opencode_model "gpt4" \(from .*config\.json\) is not valid: expected provider\/model/);
    } finally {
      rmSync(file, { recursive: true, force: true });
    }
  });

  test("another backend chosen: exit 2 naming it", async () => {
    const r = await runCli(["ask", "hi"], { ...env, POCKETPAW_AGENT_BACKEND: "codex_cli" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Codex CLI backend \("codex_cli"\) is not part of this build/);
  });
});

describe("pocketpaw health", () => {
  test("prints the URL, the version and health", async () => {
    const r = await runCli(["health"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${server.url.replace(/[.]/g, "\\.")}\nhealthy · OpenCode 1\\.18\\.33 · event stream\n$`));
  });

  test("--help describes the command", async () => {
    const r = await runCli(["ask", "--help"], env);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--approve <reply>/);
  });
});
