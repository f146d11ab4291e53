import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { AgentEvent } from "../../src/agent/events.js";
import { OpenCodeClient } from "../../src/opencode/rest/client.js";
import { type CliResult, runCli } from "../support/cli.js";
import { useRealServer } from "../support/real-server.js";

// Agents, attached files, the agent's questions, server commands, todos and changed files, through
// `pocketpaw ask` and `chat` on pipes against the real server.
const real = useRealServer({
  extraConfig: { command: { greet: { description: "Greets someone", template: "[[reply:hello $ARGUMENTS from a command]]" } } },
});

const files = mkdtempSync(join(tmpdir(), "pocketpaw-files-"));
after(() => rmSync(files, { recursive: true, force: true }));
// A 1×1 PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

const ask = (args: string[]) => runCli(["ask", ...args], real.env, { onStart: (child) => child.stdin?.end() });
function chat(lines: string[], args: string[] = []): Promise<CliResult> {
  return runCli(["chat", ...args], real.env, { onStart: (child) => child.stdin?.end(lines.map((l) => `${l}\n`).join("")) });
}
type Line = AgentEvent | { type: "question_reply" | "permission_reply"; content: string; metadata: Record<string, unknown> };
const eventsOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Line);
const sessionOf = (stdout: string) =>
  eventsOf(stdout).flatMap((e) => (e.type === "done" ? [(e as Extract<AgentEvent, { type: "done" }>).metadata.sessionId] : []))[0];
const userPrompts = () => real.model.requests.filter((q) => !q.isTitle).map((q) => q.userText);

describe("agents", () => {
  test("ask --agent plan: the turn is the plan agent's on the server, and the conversation remembers it", async () => {
    const r = await ask(["--agent", "plan", "--json", "--session", "feat:plan", "[[reply:planned]]"]);
    assert.equal(r.code, 0, r.stderr);
    const sessionId = sessionOf(r.stdout);
    assert.ok(sessionId);
    const messages = (await new OpenCodeClient({ baseUrl: real.server.url }).messages(sessionId)) as Array<{
      info: { role: string; agent?: string };
    }>;
    assert.deepEqual(
      messages.map((m) => [m.info.role, m.info.agent]),
      [
        ["user", "plan"],
        ["assistant", "plan"],
      ],
    );
    const listed = await runCli(["sessions", "--json"], real.env);
    assert.equal((JSON.parse(listed.stdout) as Array<{ key: string; agent: string }>).find((c) => c.key === "feat:plan")?.agent, "plan");
  });

  test("ask --agent with an unknown agent: exit 2, naming the agents there are, nothing sent", async () => {
    const before = real.model.requests.length;
    const r = await ask(["--agent", "wizard", "[[reply:never]]"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /The server has no agent "wizard"; its agents are: .*build.*plan/);
    assert.equal(real.model.requests.length, before);
  });

  test("chat: /agent lists, marks and switches; an unknown one is refused; the prompt's agent is used", async () => {
    const r = await chat(
      ["/agent", "/agent wizard", "/agent plan", "/agent", "[[reply:as planner]]"],
      ["--json", "--session", "feat:chat-agent"],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^ {5}build {2}/m);
    assert.match(r.stderr, /Agent: the server's default\. \/agent NAME changes it/);
    assert.match(r.stderr, /The server has no agent "wizard"; its agents are: .*build.*plan/);
    assert.match(r.stderr, /Agent: plan from the next turn on\./);
    assert.match(r.stderr, /^ {2}\* {2}plan /m);
    const messages = (await new OpenCodeClient({ baseUrl: real.server.url }).messages(sessionOf(r.stdout)!)) as Array<{
      info: { agent?: string };
    }>;
    assert.equal(messages[0]?.info.agent, "plan");
    // The next chat in that conversation goes on with plan, and says so.
    const again = await chat(["[[reply:still planning]]"], ["--json", "--session", "feat:chat-agent"]);
    const next = (await new OpenCodeClient({ baseUrl: real.server.url }).messages(sessionOf(again.stdout)!)) as Array<{
      info: { agent?: string };
    }>;
    assert.equal(next.at(-1)?.info.agent, "plan");
  });
});

describe("attached files", () => {
  test("ask --file: an image and a text file reach the model with the message", async () => {
    writeFileSync(join(files, "pixel.png"), PNG);
    writeFileSync(join(files, "notes.txt"), "remember the milk\n");
    const r = await ask(["--file", join(files, "pixel.png"), "--file", join(files, "notes.txt"), "[[echo-files]]"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`file: image_url mime=image/png bytes=${PNG.length}`));
    assert.match(r.stdout, /remember the milk/);
  });

  test("ask --file with a missing file, or a directory: exit 2 before anything is sent", async () => {
    const before = real.model.requests.length;
    const missing = await ask(["--file", join(files, "nope.md"), "[[reply:never]]"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^pocketpaw: --file .*nope\.md: no such file\.$/m);
    const folder = await ask(["--file", files, "[[reply:never]]"]);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /is a directory/);
    assert.equal(real.model.requests.length, before);
  });

  test("ask --file with an image the server cannot decode: ends at once with exit 2 and what to check (it used to wait for ever)", async () => {
    writeFileSync(join(files, "cut.png"), PNG.subarray(0, 30));
    const before = real.model.requests.length;
    const started = performance.now();
    const r = await ask(["--session", "feat:cut-image", "--file", join(files, "cut.png"), "[[reply:never]]"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /could not decode an attached image, so the message was not sent: is the file a whole, valid PNG/);
    assert.doesNotMatch(r.stderr, /bunfs|\n\s+at /, "no server stack trace");
    assert.ok(performance.now() - started < 15_000, "not left waiting");
    assert.equal(real.model.requests.length, before, "the model was never asked");
  });

  test("chat: /attach goes with the next message only", async () => {
    writeFileSync(join(files, "pixel.png"), PNG);
    const r = await chat([`/attach ${join(files, "pixel.png")}`, "[[echo-files]]", "[[echo-files]]"], ["--session", "feat:attach"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Attached pixel\.png \(image\/png, \d+ bytes\)/);
    assert.match(r.stdout, /file: image_url mime=image\/png[\s\S]*\nno files\n/);
  });
});

describe("the agent's questions, todos and changed files", () => {
  test("a question on a pipe is rejected, saying why; --json adds a question_reply line", async () => {
    const text = await ask(["--session", "feat:q1", "[[question:Pick a colour|Red=warm|Blue=cool]]"]);
    assert.match(text.stderr, /\? Pick a colour: Pick a colour\n {2}1\. Red — warm\n {2}2\. Blue — cool\n/);
    assert.match(text.stderr, /rejected \(stdin is not a terminal: the question was rejected; answer questions on a terminal\)/);
    const json = await ask(["--json", "--session", "feat:q2", "[[question:Pick a colour|Red|Blue]]"]);
    const reply = eventsOf(json.stdout).find((e) => e.type === "question_reply");
    assert.equal(reply?.content, "reject");
  });

  test("todos as a checklist; the files a turn wrote, and `sessions diff`", async () => {
    const todo = await ask(["--session", "feat:files", "[[todo:completed:Read|in_progress:Write|Test]]"]);
    assert.equal(todo.code, 0, todo.stderr);
    assert.match(todo.stderr, /todo · 1\/3 done\n {2}☑ Read\n {2}◐ Write\n {2}☐ Test\n/);
    const write = await ask(["--session", "feat:files", "[[write:feature-note.txt|one\ntwo\n]]"]);
    assert.equal(write.code, 0, write.stderr);
    assert.match(write.stderr, /^M \S*feature-note\.txt \+2 −0$/m);
    const diff = await runCli(["sessions", "diff", "feat:files"], real.env);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /\+one\n\+two\n/);
    assert.ok(!diff.stdout.includes("\u001b"), "no colour on a pipe");
  });
});

describe("server commands", () => {
  test("ask --command NAME ARGS runs it; an unknown one is exit 2 naming those there are", async () => {
    const r = await ask(["--command", "greet", "world"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello world from a command/);
    const unknown = await ask(["--command", "nope", "x"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /The server has no command "nope"; its commands are: .*greet/);
  });

  test("chat: /commands lists them; /greet runs one; an unknown /word says where to look", async () => {
    const r = await chat(["/commands", "/greet chat", "/frobnicate"], ["--session", "feat:cmds"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\/greet +Greets someone/);
    assert.match(r.stdout, /hello chat from a command/);
    assert.match(r.stderr, /Unknown command \/frobnicate: \/help lists pocketpaw's commands, \/commands the server's\./);
    assert.ok(userPrompts().some((t) => t.includes("hello chat from a command")));
  });
});

describe("undo, redo, fork, compact in chat", () => {
  test("each says what happened; the fork is where the chat goes on", async () => {
    const r = await chat(
      [
        "[[reply:first]]",
        "[[reply:second]]",
        "/undo",
        "/redo",
        "/fork feat:forked",
        "[[reply:in the fork]]",
        "/compact",
        "/switch feat:ops",
        "/fork feat:forked",
      ],
      ["--session", "feat:ops"],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Undid the last turn of feat:ops, and its changes to files: \/redo brings it back\./);
    assert.match(r.stderr, /Redid the turn of feat:ops that \/undo reverted, and its changes to files\./);
    assert.match(
      r.stderr,
      /Forked feat:ops into feat:forked \(session ses\w+\); you are in feat:forked now, \/switch feat:ops goes back\./,
    );
    assert.match(r.stderr, /Compacted feat:forked: its next turns start from the summary\./);
    assert.match(r.stderr, /feat:forked already exists: \/fork another key\./);
    assert.match(r.stdout, /in the fork/);
  });
});
