import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import type { AgentBackend } from "../../src/agent/backend.js";
import { type AgentEvent, emptyUsage } from "../../src/agent/events.js";
import { colorsFor } from "../../src/cli/colors.js";
import { conversationLines } from "../../src/cli/conversations.js";
import { TerminalRenderer } from "../../src/cli/render.js";
import { safeText } from "../../src/cli/safe-text.js";
import { renderTranscript } from "../../src/cli/transcript.js";
import { runTurn } from "../../src/cli/turn.js";

/** What a hostile model, tool, server or title could try on a terminal. */
const HOSTILE: Array<[string, string, string]> = [
  ["OSC 52 writes the clipboard", "\u001b]52;c;cm0gLXJmIH4=\u0007", "␛]52;c;cm0gLXJmIH4=␇"],
  ["OSC 0 sets the window title", "\u001b]0;pwned\u001b\\", "␛]0;pwned␛\\"],
  ["ESC[2J clears the screen", "\u001b[2J\u001b[H", "␛[2J␛[H"],
  ["OSC 8 makes a link", "\u001b]8;;http://evil.example\u0007click\u001b]8;;\u0007", "␛]8;;http://evil.example␇click␛]8;;␇"],
  ["a lone CR overwrites the line", "rm -rf ~\rls", "rm -rf ~␍ls"],
  ["C1 CSI (8-bit) clears the screen", "\u009b2J", "␛[2J"],
  ["C1 OSC (8-bit)", "\u009d0;t\u009c", "␛]0;t␛\\"],
  ["backspaces hide text", "evil\b\b\b\bgood", "evil␈␈␈␈good"],
  ["NUL, BEL, DEL, vertical tab, form feed", "a\u0000b\u0007c\u007fd\u000be\u000cf", "a␀b␇c␡d␋e␌f"],
];

/** ESC and the C0/C1 controls, except \n and \t. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** Our own colours: SGR sequences only. */
const SGR = /\u001b\[[0-9;]*m/g;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } };
}

const ids = { partId: "prt_1", messageId: "msg_1" };
const evil = "\u001b]52;c;aGk=\u0007\u001b[2J\rX";
const shown = "␛]52;c;aGk=␇␛[2J␍X";

describe("safeText", () => {
  for (const [what, hostile, visible] of HOSTILE) {
    test(what, () => {
      const safe = safeText(hostile);
      assert.equal(safe, visible);
      assert.doesNotMatch(safe, RAW_CONTROL);
    });
  }

  test("keeps text, newlines, tabs, CRLF line ends and non-ASCII as they are", () => {
    for (const text of ["plain", "a\nb\tc", "line\r\nnext\r\n", "héllo ✓ 日本 🐾", ""]) assert.equal(safeText(text), text);
  });
});

describe("untrusted text on the terminal", () => {
  test("text, reasoning, tool input, output and names, permissions, status, errors: controls shown, our colours kept", () => {
    const io = capture();
    const r = new TerminalRenderer(io.stdout, io.stderr, { color: true, showTime: false, numberTools: true });
    const events: AgentEvent[] = [
      { type: "thinking", content: `think ${evil}`, metadata: ids },
      { type: "thinking_done", content: "", metadata: ids },
      { type: "message", content: `said ${evil}\n`, metadata: ids },
      {
        type: "tool_use",
        content: `b\u001b[2Jash echo ${evil}`,
        metadata: { name: "b\u001b[2Jash", input: {}, callId: "c1", summary: `echo ${evil}` },
      },
      {
        type: "permission_request",
        content: `OpenCode asks permission for bash: ${evil}`,
        metadata: { id: "per_1", permission: "bash", patterns: [evil], always: [evil], sessionId: "s" },
      },
      { type: "tool_result", content: `out ${evil}\n`, metadata: { name: "b\u001b[2Jash", callId: "c1", isError: false } },
      { type: "status", content: `retrying ${evil}`, metadata: { state: "retrying", attempt: 1, message: evil } },
      { type: "error", content: `The provider said ${evil}`, metadata: { code: "provider" } },
      { type: "done", content: "", metadata: { reason: "completed", stopped: false, usage: emptyUsage(), turns: 1 } },
    ];
    for (const event of events) r.render(event);
    const out = io.out.join("");
    const err = io.err.join("");
    assert.equal(out, `said ${shown}\n`);
    assert.match(err, SGR, "our colours are still there");
    const plain = err.replace(SGR, "");
    assert.doesNotMatch(plain, RAW_CONTROL, JSON.stringify(plain));
    const expected = [`think ${shown}`, `b␛[2Jash echo ${shown}`, `bash: ${shown}`, `out ${shown}`, `retrying ${shown}`, `said ${shown}`];
    for (const text of expected) {
      assert.ok(plain.includes(text), `${JSON.stringify(text)} in ${JSON.stringify(plain)}`);
    }
    assert.equal(r.toolOutput(1)?.output, `out ${shown}\n`, "/output shows it made safe too");
    assert.equal(r.lastThinking, "", "reasoning shown whole (not folded) is not kept");
  });

  test("folded reasoning, kept for /thinking, is made safe", () => {
    const io = capture();
    const r = new TerminalRenderer(io.stdout, io.stderr, { color: false, foldThinking: true });
    r.render({ type: "thinking", content: `plan ${evil}`, metadata: ids });
    r.render({ type: "thinking_done", content: "", metadata: ids });
    assert.doesNotMatch(io.err.join(""), RAW_CONTROL);
    assert.equal(r.lastThinking, `plan ${shown}`);
  });

  test("conversation titles in listings (sessions, /sessions)", () => {
    const times = { createdAt: 0, lastUsedAt: 0, lastMessageId: "" };
    const record = {
      key: "web:1",
      serverUrl: "http://s",
      directory: "",
      sessionId: "ses_1",
      title: `title ${evil}`,
      model: "",
      agent: "",
      ...times,
    };
    const lines = conversationLines([record], colorsFor(false), { now: 0 });
    assert.doesNotMatch(lines.join("\n"), RAW_CONTROL);
    assert.ok(lines[1]?.includes(`title ${shown}`), lines[1]);
  });

  test("transcripts (sessions show): the stored user message too", () => {
    const io = capture();
    const r = new TerminalRenderer(io.stdout, io.stdout, { color: false, showTime: false });
    renderTranscript([{ id: "msg_1", text: `hi ${evil}`, events: [], steps: 0 }], r);
    const out = io.out.join("");
    assert.doesNotMatch(out, RAW_CONTROL);
    assert.ok(out.includes(`you › hi ${shown}`), out);
  });

  test("the permission question on a terminal: its patterns made safe", async () => {
    const io = capture();
    const keyboard = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: () => null, resume: () => null, pause: () => null });
    const replies: string[] = [];
    const backend = {
      async *run() {
        const metadata = { id: "per_1", permission: "bash", patterns: [evil], always: [`echo ${evil}*`], sessionId: "s" };
        yield { type: "permission_request", content: `asks for bash: ${evil}`, metadata };
        yield { type: "done", content: "", metadata: { reason: "completed", stopped: false, usage: emptyUsage(), turns: 1 } };
      },
      async replyPermission(_id: string, reply: string) {
        replies.push(reply);
        throw new Error(`refused: ${evil}`);
      },
    } as unknown as AgentBackend;
    // With --json the question itself goes to stderr as text: made safe as well.
    const terminal = keyboard as unknown as NodeJS.ReadStream;
    const turn = runTurn({ backend, message: "x", run: {}, out: io.stdout, err: io.stderr, renderer: undefined, terminal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    keyboard.emit("data", "r");
    await turn;
    assert.deepEqual(replies, ["reject"]);
    const err = io.err.join("");
    assert.doesNotMatch(err.replaceAll("\r\u001b[2K", ""), RAW_CONTROL, JSON.stringify(err));
    assert.ok(err.includes(`asks for bash: ${shown}`), err);
    assert.ok(err.includes(`(echo ${shown}*)`), err);
    assert.ok(err.includes(`refused: ${shown}`), err);
    // The NDJSON on stdout stays exact JSON: the control characters escaped by JSON itself.
    const first = JSON.parse(io.out[0] ?? "") as AgentEvent;
    assert.equal(first.content, `asks for bash: ${evil}`);
  });
});
