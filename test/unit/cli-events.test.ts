import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import { type AgentEvent, doneEvent, type Question, type QuestionEvent } from "../../src/agent/events.js";
import { colorsFor } from "../../src/cli/colors.js";
import { TerminalRenderer } from "../../src/cli/render.js";
import { diffLines, parseAnswer, todoLines } from "../../src/cli/render-parts.js";
import { runTurn } from "../../src/cli/turn.js";
import type { TypeAhead } from "../../src/cli/turn-keys.js";
import { FakeBackend } from "../support/fake-backend.js";

// The CLI's side of questions, todos and changed files, on the fake backend.

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (t: string) => void out.push(t) }, stderr: { write: (t: string) => void err.push(t) } };
}

/** A terminal's keyboard: what the test emits arrives as typed keys. */
function keyboard() {
  const keys = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: () => null, resume: () => null, pause: () => null });
  return { keys, terminal: keys as unknown as NodeJS.ReadStream, type: (text: string) => void keys.emit("data", Buffer.from(text)) };
}

const colour: Question = {
  header: "Colour",
  question: "Which colour?",
  options: [
    { label: "Red", description: "warm" },
    { label: "Blue", description: "" },
    { label: "Green", description: "calm" },
  ],
  multiple: false,
};
const question = (questions: Question[], id = "que_1"): QuestionEvent => ({
  type: "question",
  content: questions.map((q) => q.question).join(" "),
  metadata: { id, sessionId: "s", questions },
});

/** A backend whose run asks `event`, then says what it was answered. */
function askingBackend(event: QuestionEvent) {
  return new FakeBackend(async function* (_m, _o, self) {
    yield event;
    const answer = await self.answerTo(event.metadata.id);
    yield { type: "message", content: `got ${JSON.stringify(answer)}`, metadata: { partId: "p", messageId: "m" } };
    yield doneEvent({ stopped: false, failed: false });
  });
}

/** Lets the turn reach the question's prompt. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe("question, todo and files_changed on the terminal", () => {
  test("a question: header, text, options numbered from 1 with their descriptions; hostile labels made safe", () => {
    const io = capture();
    const r = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false });
    const evil = { ...colour, header: "\u001b]0;owned\u0007", options: [{ label: "Red\u001b[2J", description: "\u009b31m" }] };
    r.render(question([colour, { ...evil, multiple: true }]));
    assert.equal(
      io.err.join(""),
      "? (1/2) Colour: Which colour?\n  1. Red — warm\n  2. Blue\n  3. Green — calm\n" +
        "? (2/2) ␛]0;owned␇: Which colour? (one or more)\n  1. Red␛[2J — ␛[31m\n",
    );
  });

  test("todos: a checklist when the list changes (not again when it does not); ASCII marks outside UTF-8", () => {
    const io = capture();
    const r = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false, unicode: true });
    const todos = [
      { content: "Write the parser", status: "completed", priority: "high" },
      { content: "Test it", status: "in_progress", priority: "high" },
      { content: "Document it", status: "pending", priority: "low" },
      { content: "Port to Rust", status: "cancelled", priority: "low" },
    ];
    const event = (list: typeof todos): AgentEvent => ({ type: "todo", content: "", metadata: { todos: list } });
    r.render(event(todos));
    r.render(event(todos.map((t) => ({ ...t }))));
    assert.equal(io.err.join(""), "todo · 1/4 done\n  ☑ Write the parser\n  ◐ Test it\n  ☐ Document it\n  ✗ Port to Rust\n");
    r.render(event(todos.slice(0, 1)));
    assert.match(io.err.join(""), /todo · 1\/1 done\n {2}☑ Write the parser\n$/);
    assert.deepEqual(todoLines(todos, colorsFor(false), false).slice(1), [
      "  [x] Write the parser",
      "  [~] Test it",
      "  [ ] Document it",
      "  [-] Port to Rust",
    ]);
  });

  test("changed files: one line each, M path +added −removed", () => {
    const io = capture();
    const r = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false, unicode: true });
    const files = [
      { path: "src/a.ts", additions: 3, deletions: 1 },
      { path: "evil\u001b[2J.md", additions: 0, deletions: 12 },
    ];
    r.render({ type: "files_changed", content: "", metadata: { files } });
    assert.equal(io.err.join(""), "M src/a.ts +3 −1\nM evil␛[2J.md +0 −12\n");
  });

  test("a diff: coloured on a terminal, plain otherwise, control characters shown", () => {
    const diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\u001b]52;c;aGk=\u0007\n";
    assert.deepEqual(diffLines(diff, colorsFor(false)), ["--- a/x", "+++ b/x", "@@ -1 +1 @@", "-old", "+new␛]52;c;aGk=␇"]);
    const coloured = diffLines(diff, colorsFor(true));
    assert.equal(coloured[3], "\u001b[31m-old\u001b[39m");
    assert.equal(coloured[4], "\u001b[32m+new␛]52;c;aGk=␇\u001b[39m");
  });

  test("typed answers: a number, several for `multiple`, own words, Enter for the first; numbers out of range refused", () => {
    assert.deepEqual(parseAnswer(colour, "2"), { labels: ["Blue"] });
    assert.deepEqual(parseAnswer(colour, ""), { labels: ["Red"] });
    assert.deepEqual(parseAnswer(colour, "  teal, please "), { labels: ["teal, please"] });
    assert.deepEqual(parseAnswer({ ...colour, multiple: true }, "3, 1"), { labels: ["Green", "Red"] });
    assert.match((parseAnswer(colour, "1,3") as { error: string }).error, /Only one option/);
    assert.match((parseAnswer(colour, "4") as { error: string }).error, /no option 4: pick 1–3/);
    assert.deepEqual(parseAnswer({ ...colour, options: [] }, "42"), { labels: ["42"] });
  });
});

describe("answering questions during a turn", () => {
  test("not on a terminal the question is rejected, and the reason shown", async () => {
    const backend = askingBackend(question([colour]));
    const io = capture();
    const renderer = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false });
    await runTurn({ backend, message: "x", run: {}, out: io.stdout, err: io.stderr, renderer });
    assert.deepEqual(backend.answers, [{ id: "que_1", answer: "reject" }]);
    assert.match(io.err.join(""), /rejected \(stdin is not a terminal: the question was rejected; answer questions on a terminal\)/);
    assert.match(io.out.join(""), /got "reject"/);
  });

  test("with --json the answer is a question_reply line", async () => {
    const backend = askingBackend(question([colour]));
    const io = capture();
    await runTurn({ backend, message: "x", run: {}, out: io.stdout, err: io.stderr, renderer: undefined });
    const lines = io.out
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; content: string; metadata: Record<string, unknown> });
    assert.deepEqual(
      lines.map((l) => l.type),
      ["question", "question_reply", "message", "done"],
    );
    assert.equal(lines[1]!.content, "reject");
    assert.equal(lines[1]!.metadata.id, "que_1");
  });

  test("on a terminal: a wrong number is explained and asked again; each question of the event answered in turn", async () => {
    const multiple = { ...colour, header: "Also", multiple: true };
    const backend = askingBackend(question([colour, multiple]));
    const io = capture();
    const renderer = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false });
    const kb = keyboard();
    const turn = runTurn({ backend, message: "x", run: {}, out: io.stdout, err: io.stderr, renderer, terminal: kb.terminal });
    await tick();
    kb.type("7\r");
    await tick();
    kb.type("2\r");
    await tick();
    kb.type("1,3\r");
    await turn;
    assert.deepEqual(backend.answers, [{ id: "que_1", answer: [["Blue"], ["Red", "Green"]] }]);
    const err = io.err.join("");
    assert.match(err, /1–3 or your own words · Enter: 1 · Esc: reject › 7\n {2}There is no option 7/);
    assert.match(err, /1–3 \(e\.g\. 1,2\) or your own words/);
    assert.match(err, /answered: Blue · Red, Green\n/);
  });

  test("on a terminal: Backspace edits, own words are sent as typed, Esc rejects", async () => {
    for (const [keys, answer] of [
      ["tex\u007fal\r", [["teal"]]],
      ["\u001b", "reject"],
      ["\u001b[A\r", [["Red"]]], // an arrow key is not Esc; Enter alone is the first option
    ] as const) {
      const backend = askingBackend(question([colour]));
      const io = capture();
      const kb = keyboard();
      const turn = runTurn({ backend, message: "x", run: {}, out: io.stdout, err: io.stderr, renderer: undefined, terminal: kb.terminal });
      await tick();
      kb.type(keys);
      await turn;
      assert.deepEqual(backend.answers[0]?.answer, answer, JSON.stringify(keys));
    }
  });

  test("type-ahead: lines typed during the turn are queued, not taken as the answer; the answer is what is typed after", async () => {
    const backend = new FakeBackend(async function* (_m, _o, self) {
      yield { type: "message", content: "working", metadata: { partId: "p", messageId: "m" } };
      await new Promise((resolve) => setTimeout(resolve, 30));
      yield question([colour]);
      await self.answerTo("que_1");
      yield doneEvent({ stopped: false, failed: false });
    });
    const io = capture();
    const kb = keyboard();
    const queued: string[] = [];
    const typeAhead: TypeAhead = { lines: [], partial: "", onQueued: (line) => void queued.push(line) };
    const renderer = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false });
    const turn = runTurn({ backend, message: "x", run: {}, out: io.stdout, err: io.stderr, renderer, terminal: kb.terminal, typeAhead });
    await tick();
    kb.type("first\rsec\u007f\u007f\u007fthird line\r\u001b[Bhalf");
    await new Promise((resolve) => setTimeout(resolve, 40));
    kb.type("3\r");
    await turn;
    assert.deepEqual(backend.answers, [{ id: "que_1", answer: [["Green"]] }]);
    assert.deepEqual(typeAhead.lines, ["first", "third line"]);
    assert.deepEqual(queued, ["first", "third line"]);
    assert.equal(typeAhead.partial, "half", "what was typed without Enter stays for the prompt");
  });

  test("type-ahead: Ctrl-D on an empty line ends the chat after the turn; in the middle of a line it is ignored", async () => {
    const backend = new FakeBackend(async function* () {
      yield { type: "message", content: "working", metadata: { partId: "p", messageId: "m" } };
      await new Promise((resolve) => setTimeout(resolve, 40));
      yield doneEvent({ stopped: false, failed: false });
    });
    const io = capture();
    const kb = keyboard();
    const typeAhead: TypeAhead = { lines: [], partial: "", onQueued: () => {} };
    const renderer = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false });
    const turn = runTurn({ backend, message: "x", run: {}, out: io.stdout, err: io.stderr, renderer, terminal: kb.terminal, typeAhead });
    await tick();
    kb.type("ab\u0004");
    await tick();
    assert.ok(!typeAhead.ended, "Ctrl-D with text on the line does nothing");
    kb.type("\u0015\u0004");
    await turn;
    assert.equal(typeAhead.ended, true);
    assert.equal(typeAhead.partial, "");
  });
});
