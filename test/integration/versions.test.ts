// The version suite: the features where OpenCode releases differ (the health check, streaming,
// a tool step, a permission, abort, max turns, a provider error, a subagent, a cut event stream), run
// against ONE real server binary: POCKETPAW_TEST_OPENCODE_BINARY, default the oldest supported
// release (1.2.6, the devDependency alias `opencode-1.2`). The newest (1.18.33) is what the rest
// of the suite runs on; `npm run test:versions` runs this file against every tested release.
// Given a release older than 1.2, it checks the "too old" error instead.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { supportOf } from "../../src/opencode/backend/server-profile.js";
import { UnsupportedVersionError } from "../../src/opencode/rest/errors.js";
import { REPO, runCli } from "../support/cli.js";
import { startOpenCode } from "../support/opencode-server.js";
import { useRealServer } from "../support/real-server.js";
import { collect, lastOf, ofType, storedTurn, textOf } from "../support/run.js";
import {
  changesInGitUndoRedo,
  changesOutsideGit,
  commandRuns,
  compactGoesOn,
  FEATURE_CONFIG,
  forkGoesOn,
  gitProject,
  questionAnswered,
  sessionDeletedWhileBackendLives,
  todosShown,
  unknownAgentAndCommandRefused,
} from "../support/scenarios.js";
import { isEventStream, startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

const binary = process.env.POCKETPAW_TEST_OPENCODE_BINARY || join(REPO, "node_modules", "opencode-1.2", "bin", "opencode");
if (!existsSync(binary))
  throw new Error(
    `No OpenCode binary at ${binary}: run \`npm ci\` (the devDependency opencode-1.2) or set POCKETPAW_TEST_OPENCODE_BINARY.`,
  );
/** What the binary says it is; the health check must report the same. */
const version = execFileSync(binary, ["--version"], {
  encoding: "utf8",
  timeout: 30_000,
  env: { ...process.env, OPENCODE_DISABLE_MODELS_FETCH: "1", OPENCODE_DISABLE_AUTOUPDATE: "1" },
  stdio: ["ignore", "pipe", "ignore"],
}).trim();
const tooOld = supportOf(version).status === "too_old";

const real = useRealServer({ binary, extraConfig: FEATURE_CONFIG });

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `).join("");

// One binary per run: either it is too old and must be refused, or every feature must work.
(tooOld ? describe : () => undefined)(`OpenCode ${version}: a release older than 1.2 is refused at the health check`, () => {
  test("checkServer names the version and says to upgrade", async () => {
    const error = await real
      .backend()
      .checkServer()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof UnsupportedVersionError, String(error));
    assert.match(error.message, /too old.*upgrade to 1\.2 or later/i);
    // 1.1 reports its version; 1.0 has no health route to report one with.
    assert.ok(error.message.includes(`version ${version}:`) || error.message.includes("version 1.0.x or older:"), error.message);
  });

  test("a run ends with one unsupported_version error before any session is created", async () => {
    const events = await collect(real.backend(), "[[reply:never]]");
    assert.deepEqual(
      events.map((e) => e.type),
      ["error", "done"],
    );
    assert.equal(ofType(events, "error")[0]?.metadata.code, "unsupported_version");
    const sessions = await (await fetch(`${real.server.url}/session`, { signal: AbortSignal.timeout(5_000) })).json();
    assert.deepEqual(sessions, []);
  });

  test("pocketpaw health exits 3 with the upgrade advice", async () => {
    const r = await runCli(["health", "--url", real.server.url], { NO_COLOR: "1" });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /upgrade to 1\.2 or later/);
  });
});

(tooOld ? () => undefined : describe)(`OpenCode ${version}: every feature works`, () => {
  test("the health check reports the version as supported (backend and CLI)", async () => {
    const profile = await real.backend().checkServer();
    assert.equal(profile.version, version);
    assert.equal(profile.protocol, "events");
    assert.ok(profile.support.usable, profile.support.summary);
    const r = await runCli(["health", "--json", "--url", real.server.url], { NO_COLOR: "1" });
    assert.equal(r.code, 0, r.stderr);
    const health = JSON.parse(r.stdout) as { version: string; supported: boolean };
    assert.equal(health.version, version);
    assert.equal(health.supported, true);
  });

  test("text streams in several chunks and equals what the server stored", async () => {
    const b = real.backend();
    const events = await collect(b, "[[reply:Streaming across OpenCode releases, word by word]]", { sessionKey: "v:text" });
    assert.ok(ofType(events, "message").length > 1);
    assert.equal(textOf(events), "Streaming across OpenCode releases, word by word");
    assert.equal(ofType(events, "token_usage").length, 1);
    const done = lastOf(events);
    assert.equal(done?.type === "done" && done.metadata.reason, "completed");
    const sessionId = done?.type === "done" ? (done.metadata.sessionId as string) : "";
    assert.equal(storedTurn(await b.client.messages(sessionId)).text, textOf(events));
  });

  test("a bash tool step: tool_use, the whole output, then the answer", async () => {
    const events = await collect(real.backend(), "[[bash:printf 'a\\nb\\n']]", { sessionKey: "v:bash" });
    const [use] = ofType(events, "tool_use");
    const [result] = ofType(events, "tool_result");
    assert.equal(use?.metadata.input.command, "printf 'a\\nb\\n'");
    assert.equal(result?.content, "a\nb\n");
    assert.equal(result?.metadata.callId, use?.metadata.callId);
    assert.equal(textOf(events), "Tool result received: a\nb\n");
    assert.equal(ofType(events, "done")[0]?.metadata.turns, 2);
  });

  test("a permission request: once lets the tool run, reject stops it", async () => {
    for (const reply of ["once", "reject"] as const) {
      const b = real.backend({ permission: [{ permission: "bash", pattern: "*", action: "ask" }] });
      const events = await collect(b, "[[bash:echo allowed]]", { sessionKey: `v:perm-${reply}` }, async (event) => {
        if (event.type === "permission_request") await b.replyPermission(event.metadata.id, reply);
      });
      const [request] = ofType(events, "permission_request");
      assert.equal(request?.metadata.permission, "bash");
      assert.deepEqual(request?.metadata.patterns, ["echo allowed"]);
      const [result] = ofType(events, "tool_result");
      assert.equal(result?.metadata.isError, reply === "reject");
      if (reply === "once") assert.equal(result?.content, "allowed\n");
      assert.equal(lastOf(events)?.type, "done");
    }
  });

  test("stop mid-stream: the run ends as stopped, without an error, and the server's run stops", async () => {
    const b = real.backend();
    const started = Date.now();
    let stoppedAt = 0;
    const events = await collect(b, "[[delay:100]][[chunks:100]]", { sessionKey: "v:stop" }, async (event, all) => {
      if (event.type === "message" && ofType(all, "message").length === 3) {
        stoppedAt = Date.now();
        assert.equal(await b.stop("v:stop"), true);
      }
    });
    const done = ofType(events, "done")[0];
    console.log(`# stop → done in ${Date.now() - stoppedAt} ms (run ${Date.now() - started} ms)`);
    assert.equal(done?.metadata.reason, "stopped");
    assert.deepEqual(ofType(events, "error"), []);
    const sessionId = done?.metadata.sessionId as string;
    assert.equal((await b.client.sessionStatus())[sessionId]?.type ?? "idle", "idle");
    assert.ok(textOf(events).length < words(100).length, "the answer was cut short");
    assert.ok(words(100).startsWith(textOf(events)), "what arrived is a prefix of the answer");
  });

  test("max turns: past the limit the run is stopped soon, with a max_turns error", async () => {
    const b = real.backend({ maxTurns: 2 });
    let limitAt = 0;
    const events = await collect(b, "[[steps:5]]", { sessionKey: "v:max" }, (event) => {
      if (event.type === "error") limitAt = Date.now();
    });
    // 1.14.34 can leave the step the abort interrupted open for good: the run must still end.
    assert.ok(Date.now() - limitAt < 3_000, `the run ended ${Date.now() - limitAt} ms after the limit was hit`);
    assert.deepEqual(
      ofType(events, "error").map((e) => e.metadata.code),
      ["max_turns"],
    );
    const done = ofType(events, "done")[0];
    assert.equal(done?.metadata.reason, "max_turns");
    // The third step is seen starting, then aborted; 1.2.6 runs its steps so fast that a fourth
    // can begin before the abort lands. Either way far fewer than the six the model asked for.
    assert.ok([3, 4].includes(done?.metadata.turns as number), `turns: ${done?.metadata.turns}`);
    const sessionId = done?.metadata.sessionId as string;
    assert.ok((await b.client.messages(sessionId)).filter((m) => m.info.role === "assistant").length <= 4);
    assert.equal((await b.client.sessionStatus())[sessionId]?.type ?? "idle", "idle");
  });

  test("a provider error ends the run with one provider error", async () => {
    const events = await collect(real.backend(), "[[error:400]]", { sessionKey: "v:provider" });
    assert.deepEqual(
      ofType(events, "error").map((e) => e.metadata.code),
      ["provider"],
    );
    assert.equal(ofType(events, "done")[0]?.metadata.reason, "error");
  });

  test("a subagent's tool step reaches the conversation, marked as the subagent's", async () => {
    const events = await collect(real.backend(), "[[task:[[bash:echo from-child]]]]", { sessionKey: "v:task" });
    const child = ofType(events, "tool_result").find((e) => e.metadata.subagent && e.metadata.name === "bash");
    assert.equal(child?.content, "from-child\n");
    assert.match(textOf(events), /^Subagent said: /);
  });

  test("a session deleted on the server while the backend lives is replaced on the next turn", () =>
    sessionDeletedWhileBackendLives(real.backend(), "v:deleted"));

  describe("the everyday features", () => {
    test("the agent reaches the server; unknown agents and commands are refused before anything is sent", async () => {
      const b = real.backend();
      const events = await collect(b, "[[reply:planned]]", { sessionKey: "v:agent", agent: "plan" });
      assert.equal(textOf(events), "planned");
      const [user] = (await b.client.messages(ofType(events, "done")[0]?.metadata.sessionId as string)).filter(
        (m) => m.info.role === "user",
      );
      assert.equal((user?.info as { agent?: string } | undefined)?.agent, "plan");
      await unknownAgentAndCommandRefused(b, "v:unknown");
    });

    test("a question is shown and answered", () => questionAnswered(real.backend(), "v:question"));

    test("a command runs with the message as its arguments", () => commandRuns(real.backend(), "v:command"));

    test("the agent's todo list", () => todosShown(real.backend(), "v:todo"));

    test("files changed outside git, from the tools", () => changesOutsideGit(real.backend(), "v:changes"));

    test("files changed in a git project, from the server's diff; undo and redo", () => {
      const dir = gitProject(real.server.projectDir, "repo-versions");
      return changesInGitUndoRedo(real.backend({ directory: dir }), dir, "v:git");
    });

    test("fork and compact", async () => {
      await forkGoesOn(real.backend(), "v:orig", "v:fork");
      await compactGoesOn(real.backend(), "v:compact");
    });
  });

  describe("an event stream cut mid-turn", () => {
    let proxy: TcpProxy;
    before(async () => {
      proxy = await startTcpProxy(real.server.port);
    });
    after(async () => {
      await proxy.close();
    });

    test("nothing lost, nothing repeated", async () => {
      const b = real.backend({ baseUrl: proxy.url, events: { retryInitialMs: 50 } });
      // The part being written when the stream is cut is completed from its final form, which
      // 1.2 stores without trailing whitespace: compare with storage, and with the words.
      let cut = false;
      const events = await collect(b, "[[delay:40]][[chunks:40]]", { sessionKey: "v:cut" }, (event, all) => {
        if (!cut && event.type === "message" && ofType(all, "message").length === 5) cut = proxy.cut(isEventStream) > 0;
      });
      assert.ok(cut);
      assert.equal(ofType(events, "status").filter((s) => s.metadata.state === "reconnecting").length, 1);
      const done = ofType(events, "done")[0];
      assert.equal(done?.metadata.reason, "completed");
      assert.equal(textOf(events), storedTurn(await b.client.messages(done?.metadata.sessionId as string)).text);
      assert.equal(textOf(events).trimEnd(), words(40).trimEnd());
    });
  });
});

describe(`OpenCode ${version}: starting and stopping the server leaves nothing behind`, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "pocketpaw-wrapper-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("through a Node wrapper like the npm package's before 1.15 (spawnSync, no signal forwarding)", async () => {
    // What `node_modules/.bin/opencode` was: SIGTERM to this process alone orphans the real server.
    const wrapper = join(dir, "opencode");
    writeFileSync(
      wrapper,
      `#!${process.execPath}\nconst r = require("child_process").spawnSync(${JSON.stringify(binary)}, process.argv.slice(2), { stdio: "inherit" });\nprocess.exit(r.status ?? 0);\n`,
      { mode: 0o755 },
    );
    const wrapped = await startOpenCode({ modelBaseURL: real.model.baseURL, binary: wrapper });
    try {
      assert.ok(groupMembers(wrapped.pid).length >= 2, "the wrapper and the server it started");
      assert.deepEqual(await real.backend({ baseUrl: wrapped.url }).client.sessionStatus(), {}, "the server answers");
    } finally {
      const stopping = Date.now();
      await wrapped.stop();
      console.log(`# through the wrapper: started in ${Math.round(wrapped.startupMs)} ms, stopped in ${Date.now() - stopping} ms`);
    }
    assert.deepEqual(groupMembers(wrapped.pid), [], "no process of the group is left");
  });

  test("stopping the suite's server ends its whole process group", async () => {
    assert.ok(groupMembers(real.server.pid).length >= 1);
    const started = Date.now();
    await real.server.stop();
    console.log(`# stopped in ${Date.now() - started} ms`);
    assert.deepEqual(groupMembers(real.server.pid), []);
  });
});

/** The live processes of a process group (Linux: field 5 of /proc/PID/stat); zombies count as gone. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // state, ppid, pgrp, …
      if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(name));
    } catch {
      // The process ended while being read.
    }
  }
  return members;
}
