import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { AgentEvent } from "../../src/agent/events.js";
import { OpenCodeClient } from "../../src/opencode/rest/client.js";
import { ApiError } from "../../src/opencode/rest/errors.js";
import { interruptWhenStdoutHas, REPO, runCli } from "../support/cli.js";
import { freePort, type OpenCodeServer, startOpenCode } from "../support/opencode-server.js";
import { useRealServer } from "../support/real-server.js";
import { startHtmlServer } from "../support/seed-servers.js";

// This server asks before every bash command, so the CLI's permission handling is exercised.
const real = useRealServer({ extraConfig: { permission: { bash: "ask" } } }, { NO_COLOR: "1" });

const events = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as AgentEvent);

describe("pocketpaw ask", () => {
  test("streams the reply to stdout and exits 0", async () => {
    const r = await runCli(["ask", "--session", "cli:text", "[[reply:Hello from the CLI test]]"], real.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Hello from the CLI test\n");
    assert.match(r.stderr, /tokens 10 in, 5 out/);
  });

  test("--json prints one AgentEvent per line, ending with done", async () => {
    const r = await runCli(["ask", "--json", "--session", "cli:json", "[[reply:json please]]"], real.env);
    assert.equal(r.code, 0, r.stderr);
    const list = events(r.stdout);
    assert.equal(list.at(-1)?.type, "done");
    assert.equal(
      list
        .filter((e) => e.type === "message")
        .map((e) => e.content)
        .join(""),
      "json please",
    );
  });

  test("the same --session continues the conversation in the same OpenCode session", async () => {
    const one = await runCli(["ask", "--json", "--session", "cli:again", "[[reply:one]]"], real.env);
    const two = await runCli(["ask", "--json", "--session", "cli:again", "[[reply:two]]"], real.env);
    const id = (r: typeof one) => events(r.stdout).find((e) => e.type === "done")?.metadata;
    assert.equal((id(one) as { sessionId: string }).sessionId, (id(two) as { sessionId: string }).sessionId);
  });

  test("--approve once: the permission request and answer are shown, the tool runs", async () => {
    const r = await runCli(["ask", "--approve", "once", "--session", "cli:perm", "[[bash:echo approved]]"], real.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /asks permission for bash: echo approved/);
    assert.match(r.stderr, /allowed once \(--approve\)/);
    assert.match(r.stderr, /✓ bash: approved/);
    assert.equal(r.stdout, "Tool result received: approved\n");
  });

  test("stdin not a terminal and no --approve: the request is rejected, and says why", async () => {
    const r = await runCli(["ask", "--session", "cli:reject", "[[bash:echo nope]]"], real.env);
    assert.match(r.stderr, /rejected \(stdin is not a terminal; use --approve to allow\)/);
    assert.match(r.stderr, /✗ bash/);
  });

  test("a provider error: exit 1 with the error on stderr", async () => {
    const r = await runCli(["ask", "--session", "cli:fail", "[[error:400]]"], real.env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: The model provider failed \(HTTP 400\): fake 400 failure/);
  });

  test("--max-turns stops the run: exit 1 with a max_turns error", async () => {
    const r = await runCli(["ask", "--json", "--approve", "always", "--max-turns", "1", "--session", "cli:max", "[[steps:4]]"], real.env);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(events(r.stdout).some((e) => e.type === "error" && e.metadata.code === "max_turns"));
  });

  test("Ctrl-C stops the turn on the server and exits 130", async () => {
    const r = await runCli(["ask", "--session", "cli:interrupt", "[[delay:100]][[chunks:80]]"], real.env, {
      onStart: interruptWhenStdoutHas("w3 "),
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /Stopping/);
    assert.ok(!r.stdout.includes("w79"), "the answer was cut short");
  });

  test("server unreachable: exit 3 with the URL and how to start a server", async () => {
    const port = await freePort();
    const r = await runCli(["ask", "hi"], { ...real.env, POCKETPAW_OPENCODE_BASE_URL: `http://127.0.0.1:${port}` });
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`Cannot reach the OpenCode server at http://127\\.0\\.0\\.1:${port}`));
    assert.ok(r.stderr.includes(`opencode serve --port ${port}`), r.stderr);
  });

  test("not an OpenCode server: exit 3", async () => {
    const html = await startHtmlServer();
    try {
      const r = await runCli(["ask", "hi"], { ...real.env, POCKETPAW_OPENCODE_BASE_URL: html.url });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /does not look like an OpenCode server/);
    } finally {
      await html.close();
    }
  });

  test("bad settings: exit 2 with one line naming the setting and its source", async () => {
    const r = await runCli(["ask", "hi"], { ...real.env, POCKETPAW_OPENCODE_MAX_TURNS: "-3" });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "pocketpaw: POCKETPAW_OPENCODE_MAX_TURNS=-3 (from the environment) is not valid: expected a whole number ≥ 0 (0 = unlimited)\n",
    );
    const file = mkdtempSync(join(tmpdir(), "pocketpaw-cfg-"));
    try {
      writeFileSync(join(file, "config.json"), JSON.stringify({ opencode_model: "gpt4" }));
      const c = await runCli(["ask", "hi"], { ...real.env, POCKETPAW_HOME: file });
      assert.equal(c.code, 2);
      assert.match(c.stderr, /opencode_model "gpt4" \(from .*config\.json\) is not valid: expected provider\/model/);
    } finally {
      rmSync(file, { recursive: true, force: true });
    }
  });

  test("another backend chosen: exit 2 naming it", async () => {
    const r = await runCli(["ask", "hi"], { ...real.env, POCKETPAW_AGENT_BACKEND: "codex_cli" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Codex CLI backend \("codex_cli"\) is not part of this build/);
  });
});

describe("pocketpaw health", () => {
  test("prints the URL, the version and health", async () => {
    const r = await runCli(["health"], real.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^${real.server.url.replace(/[.]/g, "\\.")}\nhealthy · OpenCode 1\\.18\\.33 · event stream\nsupported: OpenCode 1\\.18\\.33 is tested with pocketpaw\\.\n$`,
      ),
    );
  });

  test("--help describes the command", async () => {
    const r = await runCli(["ask", "--help"], real.env);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--approve <reply>/);
  });
});

/** The NDJSON of `ask --json`: the done event's session id. */
const sessionOf = (stdout: string) => {
  const done = events(stdout).find((e) => e.type === "done");
  return done?.type === "done" ? done.metadata.sessionId : undefined;
};

describe("pocketpaw sessions", () => {
  test("lists remembered conversations newest first, with title and age; --json too", async () => {
    const home = mkdtempSync(join(tmpdir(), "pocketpaw-sessions-"));
    try {
      const here = { ...real.env, POCKETPAW_HOME: home };
      assert.equal((await runCli(["ask", "--session", "s:older", "[[reply:first]] about the roof"], here)).code, 0);
      assert.equal((await runCli(["ask", "--session", "s:newer", "[[reply:second]] about the garden"], here)).code, 0);
      const list = await runCli(["sessions", "--json"], here);
      assert.equal(list.code, 0, list.stderr);
      const records = JSON.parse(list.stdout) as Array<{ key: string; title: string; sessionId: string; serverUrl: string }>;
      assert.deepEqual(
        records.map((r) => r.key),
        ["s:newer", "s:older"],
      );
      assert.equal(records[0]?.title, "[[reply:second]] about the garden");
      assert.equal(records[0]?.serverUrl, real.server.url);
      const text = await runCli(["sessions"], here);
      assert.match(
        text.stdout,
        /KEY +TITLE +LAST USED +MODEL\n +s:newer +\[\[reply:second\]\] about the garden +just now +default\n +s:older /,
      );
      // Another server's conversations are listed only with --all.
      const elsewhere = await runCli(["sessions", "--json"], { ...here, POCKETPAW_OPENCODE_BASE_URL: "http://127.0.0.1:9" });
      assert.deepEqual(JSON.parse(elsewhere.stdout), []);
      const all = await runCli(["sessions", "list", "--all", "--json", "--url", "http://127.0.0.1:9"], here);
      assert.equal((JSON.parse(all.stdout) as unknown[]).length, 2);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("show prints the transcript the server stored: prompts, replies, tools, usage", async () => {
    assert.equal((await runCli(["ask", "--session", "s:show", "[[reply:the first answer]]"], real.env)).code, 0);
    assert.equal((await runCli(["ask", "--approve", "once", "--session", "s:show", "[[bash:echo from the tool]]"], real.env)).code, 0);
    const r = await runCli(["sessions", "show", "s:show"], real.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^s:show "\[\[reply:the first answer\]\]" · session ses\w+ · started just now/);
    assert.match(r.stdout, /you › \[\[reply:the first answer\]\]\nthe first answer\ntokens 10 in, 5 out\n/);
    assert.match(
      r.stdout,
      /you › \[\[bash:echo from the tool\]\]\n▸ bash echo from the tool\n {2}✓ bash: from the tool\nTool result received: from the tool\ntokens 20 in, 10 out\n/,
    );
    const json = await runCli(["sessions", "show", "s:show", "--json"], real.env);
    const shown = JSON.parse(json.stdout) as { conversation: { key: string }; messages: unknown[] };
    assert.equal(shown.conversation.key, "s:show");
    assert.equal(shown.messages.length, 5); // two prompts; the tool turn took two steps
  });

  test("show and forget of an unknown key: exit 2, saying how to list them", async () => {
    const r = await runCli(["sessions", "show", "s:never"], real.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No conversation "s:never" is remembered for http:\/\/127\.0\.0\.1:\d+; `pocketpaw sessions` lists them\./);
    assert.equal((await runCli(["sessions", "forget", "s:never"], real.env)).code, 2);
  });

  test("forget drops the conversation here; --delete-remote deletes the server's session too", async () => {
    const kept = sessionOf((await runCli(["ask", "--json", "--session", "s:forget-kept", "[[reply:x]]"], real.env)).stdout);
    const gone = sessionOf((await runCli(["ask", "--json", "--session", "s:forget-gone", "[[reply:y]]"], real.env)).stdout);
    assert.ok(kept && gone);
    const one = await runCli(["sessions", "forget", "s:forget-kept"], real.env);
    assert.equal(one.code, 0, one.stderr);
    assert.match(
      one.stderr,
      /Forgot s:forget-kept \("\[\[reply:x\]\]"\); its session ses\w+ stays on the server \(--delete-remote deletes it\)\./,
    );
    const two = await runCli(["sessions", "forget", "--delete-remote", "s:forget-gone"], real.env);
    assert.equal(two.code, 0, two.stderr);
    assert.match(two.stderr, /Deleted session ses\w+ on the server\.\nForgot s:forget-gone/);
    const keys = (JSON.parse((await runCli(["sessions", "--json"], real.env)).stdout) as Array<{ key: string }>).map((r) => r.key);
    assert.ok(!keys.includes("s:forget-kept") && !keys.includes("s:forget-gone"));
    const client = new OpenCodeClient({ baseUrl: real.server.url });
    assert.equal((await client.getSession(kept)).id, kept);
    await assert.rejects(client.getSession(gone), (error: unknown) => error instanceof ApiError && error.isNotFound);
    // The next turn in the forgotten conversation starts afresh.
    assert.notEqual(sessionOf((await runCli(["ask", "--json", "--session", "s:forget-kept", "[[reply:z]]"], real.env)).stdout), kept);
  });

  test("a damaged store: exit 2 with a message that says what to do, and the file is left as it was", async () => {
    const home = mkdtempSync(join(tmpdir(), "pocketpaw-damaged-"));
    try {
      const file = join(home, "pocketpaw.db");
      writeFileSync(file, "not a database\n".repeat(100));
      const before = readFileSync(file);
      const r = await runCli(["ask", "hi"], { ...real.env, POCKETPAW_HOME: home });
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /The conversation store .*pocketpaw\.db is damaged or is not a pocketpaw store .* left it untouched: move it aside/,
      );
      assert.deepEqual(readFileSync(file), before);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("pocketpaw backends and config", () => {
  test("a reader that stops early (`| head`) ends the command quietly, exit 0", async () => {
    const r = await runCli(["backends"], real.env, { onStart: (child) => child.stdout?.destroy() });
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
  });

  test("backends: the six backends with badges, status, key and availability; --json too", async () => {
    const r = await runCli(["backends"], real.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /Claude Agent SDK +claude_agent_sdk +Production +\[streaming\] \[tools\] \[multi_turn\] \[custom_system_prompt\] \[mcp\] +ANTHROPIC_API_KEY +Ollama +no: /,
    );
    assert.match(r.stdout, /OpenCode +opencode +Beta +\[streaming\] \[tools\] \[multi_turn\] \[custom_system_prompt\] +none +no +yes\n/);
    const json = JSON.parse((await runCli(["backends", "--json"], real.env)).stdout) as Array<{ name: string; available: boolean }>;
    assert.equal(json.length, 6);
    assert.deepEqual(
      json.filter((b) => b.available).map((b) => b.name),
      ["opencode"],
    );
  });

  test("config: every setting with its source; the password masked", async () => {
    const here = { ...real.env, POCKETPAW_OPENCODE_PASSWORD: "hunter2-secret", POCKETPAW_OPENCODE_SPAWN: "yes" };
    const r = await runCli(["config", "--max-turns", "3"], here);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes("hunter2"), "the password is never shown");
    assert.match(r.stdout, /opencode_password +\*\*\* +env +POCKETPAW_OPENCODE_PASSWORD/);
    assert.match(r.stdout, /opencode_max_turns +3 +flag/);
    assert.match(r.stdout, /opencode_base_url +http:\/\/127\.0\.0\.1:\d+ +env/);
    assert.match(r.stdout, /opencode_spawn +true +env/);
    assert.match(r.stdout, /opencode_model +"" +default/);
    const json = await runCli(["config", "--json"], here);
    assert.ok(!json.stdout.includes("hunter2"));
    const parsed = JSON.parse(json.stdout) as { settings: Array<{ setting: string; value: unknown; source: string; secret: boolean }> };
    const password = parsed.settings.find((s) => s.setting === "opencode_password");
    assert.deepEqual([password?.value, password?.source, password?.secret], ["***", "env", true]);
  });

  test("a bad POCKETPAW_OPENCODE_SPAWN: exit 2 naming it", async () => {
    const r = await runCli(["config"], { ...real.env, POCKETPAW_OPENCODE_SPAWN: "maybe" });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "pocketpaw: POCKETPAW_OPENCODE_SPAWN=maybe (from the environment) is not valid: expected 1 or 0 (also true/false, yes/no, on/off)\n",
    );
  });
});

describe("pocketpaw doctor", () => {
  const line = (stdout: string, name: string) => stdout.split("\n").find((l) => l.slice(2).startsWith(name)) ?? "";

  test("a working setup: every check passes, exit 0", async () => {
    const r = await runCli(["doctor"], real.env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const name of ["settings", "URL", "server answers", "OpenCode", "credentials", "model", "directory", "event stream", "store"]) {
      assert.match(line(r.stdout, name), /^✓ /, `${name}: ${r.stdout}`);
    }
    assert.match(line(r.stdout, "OpenCode"), /1\.18\.33 · supported: OpenCode 1\.18\.33 is tested with pocketpaw\./);
    assert.match(line(r.stdout, "model"), /fake\/fake-model \(the server's default\) exists on the server/);
    assert.match(r.stdout, /\nReady\.\n$/);
    const json = JSON.parse((await runCli(["doctor", "--json"], real.env)).stdout) as {
      ok: boolean;
      checks: Array<{ name: string; status: string }>;
    };
    assert.equal(json.ok, true);
    assert.equal(json.checks.length, 9);
  });

  test("nothing answers: exit 3, what to do (start one, or --spawn), and the rest skipped", async () => {
    const port = await freePort();
    const r = await runCli(["doctor", "--url", `http://127.0.0.1:${port}`], real.env);
    assert.equal(r.code, 3);
    assert.match(line(r.stdout, "server answers"), /^✗ .*Cannot reach the OpenCode server/);
    assert.match(r.stdout, new RegExp(`→ Start a server: \`opencode serve --port ${port}\`, or let pocketpaw start one with --spawn`));
    assert.match(line(r.stdout, "model"), /^- .*skipped: no server answers/);
    assert.match(line(r.stdout, "store"), /^✓ /);
  });

  test("a model the server does not have, and a directory it does not have: exit 1, naming what it has", async () => {
    const r = await runCli(["doctor", "--model", "fake/nope", "--directory", "/no/such/folder"], real.env);
    assert.equal(r.code, 1, r.stdout);
    assert.match(line(r.stdout, "model"), /^✗ .*fake\/nope \(POCKETPAW_OPENCODE_MODEL, from flag\) is not a model of this server/);
    assert.match(r.stdout, /→ fake has fake\/fake-model, fake\/other-model\./);
    assert.match(line(r.stdout, "directory"), /^✗ .*\/no\/such\/folder does not exist on the server's machine/);
    const relative = await runCli(["doctor", "--directory", "some/folder"], real.env);
    assert.match(line(relative.stdout, "directory"), /^✗ .*"some\/folder" is a relative path/);
    const existing = await runCli(["doctor", "--model", "fake/other-model", "--directory", tmpdir()], real.env);
    assert.equal(existing.code, 0, existing.stdout);
  });

  test("not an OpenCode server: exit 3", async () => {
    const html = await startHtmlServer();
    try {
      const r = await runCli(["doctor", "--url", html.url], real.env);
      assert.equal(r.code, 3);
      assert.match(line(r.stdout, "server answers"), /^✓ /);
      assert.match(line(r.stdout, "OpenCode"), /^✗ .*does not look like an OpenCode server/);
    } finally {
      await html.close();
    }
  });

  test("invalid settings: the first check fails, exit 2", async () => {
    const r = await runCli(["doctor"], { ...real.env, POCKETPAW_OPENCODE_BASE_URL: "localhost:4096" });
    assert.equal(r.code, 2);
    assert.match(line(r.stdout, "URL"), /^✗ .*POCKETPAW_OPENCODE_BASE_URL=localhost:4096 \(from the environment\) is not valid/);
  });

  describe("against a server with a password", () => {
    let guarded: OpenCodeServer;
    before(async () => {
      guarded = await startOpenCode({ modelBaseURL: real.model.baseURL, password: "open-sesame" });
    });
    after(async () => {
      await guarded?.stop();
    });

    test("wrong or missing credentials: exit 3, saying which settings to set; right ones pass", async () => {
      const here = { ...real.env, POCKETPAW_OPENCODE_BASE_URL: guarded.url };
      const missing = await runCli(["doctor"], here);
      assert.equal(missing.code, 3);
      assert.match(line(missing.stdout, "credentials"), /^✗ .*needs a password \(HTTP 401\)/);
      assert.match(missing.stdout, /→ Set POCKETPAW_OPENCODE_PASSWORD/);
      const wrong = await runCli(["doctor"], { ...here, POCKETPAW_OPENCODE_PASSWORD: "guess" });
      assert.match(line(wrong.stdout, "credentials"), /^✗ .*refused the credentials/);
      assert.ok(!wrong.stdout.includes("guess"), "the password is never shown");
      const right = await runCli(["doctor"], { ...here, POCKETPAW_OPENCODE_PASSWORD: "open-sesame" });
      assert.equal(right.code, 0, right.stdout);
      assert.match(line(right.stdout, "credentials"), /^✓ credentials +accepted \(user opencode\)/);
    });
  });
});

describe("the CLI as `npm run build` ships it (one bundle, chunks beside it)", () => {
  const root = mkdtempSync(join(tmpdir(), "pocketpaw-built-"));
  const entry = join(root, "dist/cli/main.js");
  before(() => {
    copyFileSync(join(REPO, "package.json"), join(root, "package.json"));
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
    const build = spawnSync(process.execPath, [join(REPO, "scripts/build.mjs"), join(root, "dist")], { encoding: "utf8" });
    assert.equal(build.status, 0, build.stderr);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test("the entry takes the commands by require() where Node can, by import() where it cannot", () => {
    for (const flags of [[], ["--no-experimental-require-module"]]) {
      const run = spawnSync(process.execPath, [...flags, entry, "backends", "--json"], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "" },
      });
      assert.equal(run.status, 0, `${flags.join(" ")}: ${run.stderr}`);
      assert.equal((JSON.parse(run.stdout) as Array<{ name: string }>).find((b) => b.name === "opencode")?.name, "opencode");
      assert.doesNotMatch(run.stderr, /warning/i, "no experimental-feature warning");
    }
    // Which way the table came: Node says so when asked to trace require() of ES modules.
    const traced = (flags: string[]) =>
      spawnSync(process.execPath, [...flags, "--trace-require-module=all", entry, "backends", "--json"], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "" },
      }).stderr;
    assert.match(traced([]), /main\.js is loading ES Module .*program\.mjs using require\(\)/);
    assert.doesNotMatch(traced(["--no-experimental-require-module"]), /using require\(\)/);
  });

  test("--version, config, a turn, and the dashboard with its files", async () => {
    const version = await runCli(["--version"], real.env, { entry });
    assert.equal(version.stdout, `${JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version}\n`);
    const config = await runCli(["config", "--json"], real.env, { entry });
    assert.equal(config.code, 0, config.stderr);
    const ask = await runCli(["ask", "--session", "built:ask", "[[reply:from the bundle]]"], real.env, { entry });
    assert.equal(ask.code, 0, ask.stderr);
    assert.equal(ask.stdout, "from the bundle\n");

    const port = await freePort();
    const serve = spawn(process.execPath, [entry, "serve", "--port", String(port)], {
      env: { PATH: process.env.PATH ?? "", HOME: real.home, ...real.env },
      stdio: "ignore",
    });
    try {
      let page: Response | undefined;
      for (let tries = 0; tries < 100 && !page; tries++) {
        page = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
        if (!page) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(page?.status, 200);
      const html = await (page as Response).text();
      assert.match(html, /<html/);
      // A module the page loads, from dist/web/static/ next to the bundle.
      const module = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
      assert.ok(module, "the page loads a script");
      assert.equal((await fetch(new URL(module, `http://127.0.0.1:${port}/`))).status, 200);
    } finally {
      serve.kill("SIGTERM");
      const killer = setTimeout(() => serve.kill("SIGKILL"), 5_000);
      await new Promise((resolve) => serve.once("exit", resolve));
      clearTimeout(killer);
    }
  });
});
