import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AgentEvent } from "../../src/agent/events.js";
import { OpenCodeClient } from "../../src/opencode/rest/client.js";
import { type CliResult, interruptWhenStdoutHas, runCli } from "../support/cli.js";
import { freePort } from "../support/opencode-server.js";
import { useRealServer } from "../support/real-server.js";
import { eventually } from "../support/run.js";

const real = useRealServer({ extraConfig: { permission: { bash: "ask" } } });

// `pocketpaw chat` with stdin a pipe: one message per line, plain output, NDJSON with --json.

/** Runs `pocketpaw chat ARGS` with `lines` on its stdin, then end of input. */
function chat(lines: string[], args: string[] = [], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return runCli(
    ["chat", ...args],
    { ...real.env, ...extraEnv },
    {
      onStart: (child) => {
        child.stdin?.end(lines.map((l) => `${l}\n`).join(""));
      },
    },
  );
}

const eventsOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as AgentEvent | { type: "permission_reply"; content: string });
const sessionsOf = (stdout: string) =>
  eventsOf(stdout).flatMap((e) => (e.type === "done" ? [(e as Extract<AgentEvent, { type: "done" }>).metadata.sessionId] : []));

describe("pocketpaw chat on a pipe", () => {
  test("one message per line, replies in order on stdout, no escape codes anywhere", async () => {
    const r = await chat(["[[reply:first answer]]", "", "[[reply:second answer]]"], ["--session", "pipe:plain"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "first answer\nsecond answer\n");
    assert.equal((r.stderr.match(/^tokens 10 in, 5 out/gm) ?? []).length, 2);
    assert.ok(!/\u001b/.test(r.stdout + r.stderr), "no escape codes when stdin is not a terminal");
  });

  test("a conversation continues in the same OpenCode session, across lines and across processes", async () => {
    const one = await chat(["[[reply:a]]", "[[reply:b]]"], ["--json", "--session", "pipe:keep"]);
    const two = await chat(["[[reply:c]]"], ["--json", "--session", "pipe:keep"]);
    const ids = [...sessionsOf(one.stdout), ...sessionsOf(two.stdout)];
    assert.equal(ids.length, 3);
    assert.ok(ids[0]?.startsWith("ses"));
    assert.deepEqual(new Set(ids).size, 1, `one session for the whole conversation: ${ids.join(", ")}`);
    // The server holds the three prompts in that one session.
    const prompts = real.model.requests.filter((q) => !q.isTitle).map((q) => q.userText);
    assert.deepEqual(
      prompts.filter((t) => ["[[reply:a]]", "[[reply:b]]", "[[reply:c]]"].includes(t)),
      ["[[reply:a]]", "[[reply:b]]", "[[reply:c]]"],
    );
  });

  test("slash commands: /new, /sessions, /switch, /model, /output, /help; unknown ones are explained", async () => {
    const r = await chat(
      [
        "[[reply:in the first]]",
        "/new",
        "[[reply:in the second]]",
        "/sessions",
        "/switch pipe:cmds",
        "/model fake/other-model",
        "/model fake/missing",
        "[[reply:back in the first]]",
        "/output",
        "/frobnicate",
        "/help",
        "/exit",
        "[[reply:never sent]]",
      ],
      ["--json", "--session", "pipe:cmds"],
    );
    assert.equal(r.code, 0, r.stderr);
    const [first, second, third] = sessionsOf(r.stdout);
    assert.ok(first && second && third);
    assert.notEqual(first, second, "/new starts another session");
    assert.equal(third, first, "/switch goes back to the first");
    assert.match(r.stderr, /New conversation cli:2: it starts with your next message\./);
    assert.match(r.stderr, /KEY +TITLE +LAST USED +MODEL\n\* +cli:2 +\[\[reply:in the second\]\] +just now +default\n +pipe:cmds /);
    assert.match(r.stderr, /Switched to pipe:cmds: "\[\[reply:in the first\]\]" \(last used just now\)\./);
    assert.match(r.stderr, /Model: fake\/other-model from the next turn on\./);
    assert.match(r.stderr, /Provider fake has no model "missing"; it has fake-model, other-model\./);
    assert.equal(real.model.requests.at(-1)?.model, "other-model", "the turn after /model used it");
    assert.match(r.stderr, /No tool has run in this chat yet\./);
    assert.match(r.stderr, /Unknown command \/frobnicate: \/help lists pocketpaw's commands, \/commands the server's\./);
    assert.match(r.stderr, /\/switch KEY +continue conversation KEY/);
    assert.ok(!real.model.requests.some((q) => q.userText.includes("never sent")), "/exit ends the chat");
  });

  test("permission requests: rejected without --approve (saying why), allowed with it; /output shows the whole output", async () => {
    const rejected = await chat(["[[bash:echo nope]]"], ["--session", "pipe:perm"]);
    assert.match(
      rejected.stderr,
      /\? OpenCode asks permission for bash: echo nope\n {2}rejected \(stdin is not a terminal; use --approve to allow\)/,
    );
    const allowed = await chat(["[[bash:printf 'one\\ntwo\\nthree\\n']]", "/output 1"], ["--approve", "always", "--session", "pipe:perm2"]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /allowed always \(--approve\)/);
    assert.match(allowed.stderr, /✓ bash: one \(\+2 lines\) {2}#1\n/);
    assert.match(allowed.stderr, /── output of #1 ──\none\ntwo\nthree\n/);
  });

  test("reasoning is folded into one line; /thinking shows it whole; //text sends /text", async () => {
    const r = await chat(
      ["[[think:first I look, then I answer, and that is all]][[reply:done]]", "/thinking", "//etc/hosts please"],
      ["--session", "pipe:think"],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^thought: first I look, then I answer, and that is all \(10 words, \/thinking shows it\)$/m);
    assert.match(r.stderr, /^first I look, then I answer, and that is all$/m);
    assert.match(r.stdout, /You said: \/etc\/hosts please/);
  });

  test("/stop stops a run another client left going in the conversation's session", async () => {
    const first = await chat(["[[reply:hello]]"], ["--json", "--session", "pipe:stop"]);
    const [sessionId] = sessionsOf(first.stdout);
    assert.ok(sessionId);
    const client = new OpenCodeClient({ baseUrl: real.server.url });
    await client.promptAsync(sessionId, { parts: [{ type: "text", text: "[[delay:100]][[chunks:600]]" }] });
    await eventually(async () => (await client.sessionStatus())[sessionId]?.type === "busy", 10_000, "the other run to start");
    const r = await chat(["/stop"], ["--session", "pipe:stop"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Stopped the run of pipe:stop on the server \\(session ${sessionId}\\)\\.`));
    await eventually(async () => (await client.sessionStatus())[sessionId] === undefined, 10_000, "the session to go idle");
  });

  test("exit code: that of the first failed turn; later lines still run", async () => {
    const r = await chat(["[[error:400]]", "[[reply:after the failure]]"], ["--session", "pipe:fail"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: The model provider failed \(HTTP 400\)/);
    assert.match(r.stdout, /after the failure/);
  });

  test("the server unreachable: exit 3 before reading anything", async () => {
    const port = await freePort();
    const r = await chat(["hello"], [], { POCKETPAW_OPENCODE_BASE_URL: `http://127.0.0.1:${port}` });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /Cannot reach the OpenCode server/);
  });

  test("Ctrl-C (SIGINT) on a pipeline stops the turn on the server and ends the chat with 130", async () => {
    const r = await runCli(["chat", "--session", "pipe:int"], real.env, {
      onStart: (child, output) => {
        child.stdin?.write("[[delay:100]][[chunks:80]]\n[[reply:not this one]]\n");
        interruptWhenStdoutHas("w3 ")(child, output);
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /Stopping the turn on the server… \(Ctrl-C again quits at once\)/);
    assert.ok(!r.stdout.includes("w79") && !r.stdout.includes("not this one"));
  });
});
