import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AgentEvent, emptyUsage } from "../../src/agent/events.js";
import { colorsFor } from "../../src/cli/colors.js";
import { conversationLines, nextConversationKey } from "../../src/cli/conversations.js";
import { ago, columns } from "../../src/cli/format.js";
import { createRenderer, TerminalRenderer } from "../../src/cli/render.js";
import type { ConversationRecord } from "../../src/sessions/store.js";
import { isThisMachine } from "../../src/util/loopback.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } };
}

const ids = { partId: "prt_1", messageId: "msg_1" };
const done = (turns = 1): AgentEvent => ({
  type: "done",
  content: "",
  metadata: { reason: "completed", stopped: false, usage: { ...emptyUsage(), input: 120, output: 30, reasoning: 7, cost: 0.0123 }, turns },
});

describe("TerminalRenderer (not on a terminal)", () => {
  test("text on stdout; tools, folded reasoning and usage on stderr, each note on a fresh line", () => {
    const io = capture();
    const r = new TerminalRenderer(io.stdout, io.stderr, { color: false, foldThinking: true, numberTools: true, showTime: false });
    const events: AgentEvent[] = [
      { type: "status", content: "", metadata: { state: "busy" } },
      { type: "thinking", content: "Look at the\nfiles ", metadata: ids },
      { type: "thinking", content: "first.", metadata: ids },
      { type: "thinking_done", content: "", metadata: ids },
      { type: "message", content: "Let me check", metadata: ids },
      { type: "tool_use", content: "bash ls -1", metadata: { name: "bash", input: { command: "ls -1" }, callId: "c1", summary: "ls -1" } },
      { type: "tool_result", content: "a.txt\nb.txt\n", metadata: { name: "bash", callId: "c1", isError: false } },
      { type: "message", content: "Two files.", metadata: ids },
      done(2),
    ];
    for (const e of events) r.render(e);
    assert.equal(io.out.join(""), "Let me check\nTwo files.\n");
    assert.equal(
      io.err.join(""),
      "thought: Look at the files first. (5 words, /thinking shows it)\n" +
        "▸ bash ls -1\n" +
        "  ✓ bash: a.txt (+1 lines)  #1\n" +
        "tokens 120 in, 30 out, 7 reasoning · $0.0123\n",
    );
    assert.equal(r.lastThinking, "Look at the\nfiles first.");
    assert.deepEqual(r.toolOutput(), { n: 1, output: "a.txt\nb.txt\n" });
    assert.equal(r.toolOutput(2), undefined);
  });

  test("reasoning shown whole (ask), errors, a subagent's tools, the permission answer", () => {
    const io = capture();
    const r = new TerminalRenderer(io.stdout, io.stderr, { color: false, showTime: false });
    const sub = { subagent: { sessionId: "ses_child" } };
    r.render({ type: "thinking", content: "hmm", metadata: ids });
    r.render({ type: "thinking_done", content: "", metadata: ids });
    r.render({
      type: "tool_use",
      content: "read /etc/hosts",
      metadata: { name: "read", input: {}, callId: "c2", summary: "/etc/hosts", ...sub },
    });
    r.render({
      type: "permission_request",
      content: "OpenCode asks permission for read: /etc/hosts",
      metadata: { id: "per_1", permission: "read", patterns: [], always: [], sessionId: "ses_child", ...sub },
    });
    r.permissionAnswer("reject", "answered");
    r.render({ type: "tool_result", content: "rejected", metadata: { name: "read", callId: "c2", isError: true, ...sub } });
    r.render({ type: "error", content: "The model provider failed.", metadata: { code: "provider" } });
    r.render(done(0)); // no model step: no usage line
    assert.equal(
      io.err.join(""),
      "hmm\n[subagent] ▸ read /etc/hosts\n[subagent] ? OpenCode asks permission for read: /etc/hosts\n  rejected (answered)\n[subagent]   ✗ read: rejected\nerror: The model provider failed.\n",
    );
  });
});

describe("TerminalRenderer on a terminal", () => {
  /** A terminal of the given width that fails the test past 2,000 writes instead of spinning forever. */
  function terminal(columns: number | undefined) {
    let text = "";
    let writes = 0;
    const stream = {
      isTTY: true,
      columns,
      write(chunk: string) {
        if (++writes > 2_000) throw new Error(`unbounded output: ${JSON.stringify(text.slice(-60))}`);
        text += chunk;
        return true;
      },
      // What ora draws with (node:tty's methods write the same escape codes).
      cursorTo: (x: number) => stream.write(`\u001b[${x + 1}G`),
      moveCursor: (_dx: number, dy: number) => stream.write(dy < 0 ? `\u001b[${-dy}A` : ""),
      clearLine: () => stream.write("\u001b[0K"),
      on: () => stream,
      once: () => stream,
      off: () => stream,
      removeListener: () => stream,
    };
    return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
  }

  for (const columns of [0, undefined]) {
    test(`a terminal reporting ${columns} columns gets no spinner: the turn finishes with bounded output`, async () => {
      const io = capture();
      const tty = terminal(columns);
      const r = await createRenderer(io.stdout, tty.stream, { color: false, spinnerStream: tty.stream, showTime: false });
      r.render({ type: "status", content: "", metadata: { state: "busy" } });
      await new Promise((resolve) => setTimeout(resolve, 200)); // a spinner would have drawn frames by now
      r.render({ type: "tool_use", content: "bash ls", metadata: { name: "bash", input: { command: "ls" }, callId: "c1", summary: "ls" } });
      r.render({ type: "tool_result", content: "a.txt\n", metadata: { name: "bash", callId: "c1", isError: false } });
      r.render({ type: "message", content: "Done.", metadata: ids });
      r.render(done());
      assert.equal(io.out.join(""), "Done.\n");
      const lines = "▸ bash ls\n  ✓ bash: a.txt\ntokens 120 in, 30 out, 7 reasoning · $0.0123\n";
      assert.equal(tty.text(), lines, "lines written once, no escape codes");
    });
  }
});

describe("listing helpers", () => {
  const now = Date.UTC(2026, 8, 14, 12, 0, 0);
  test("ago", () => {
    assert.equal(ago(now - 10_000, now), "just now");
    assert.equal(ago(now - 5 * 60_000, now), "5 min ago");
    assert.equal(ago(now - 3 * 3_600_000, now), "3 h ago");
    assert.equal(ago(now - 86_400_000, now), "1 day ago");
    assert.equal(ago(now - 40 * 86_400_000, now), "2026-08-05");
  });

  test("columns pad by characters, style after padding, and leave the last column unpadded", () => {
    const lines = columns(
      [
        ["KEY", "TITLE"],
        ["cli:default", "ünïcode"],
        ["x", ""],
      ],
      (t, row) => (row === 0 ? `<${t}>` : t),
    );
    assert.deepEqual(lines, ["<KEY        >  <TITLE>", "cli:default  ünïcode", "x"]);
  });

  test("conversations: the current one marked; the next free cli:N", () => {
    const record = (key: string, lastUsedAt: number): ConversationRecord => ({
      key,
      serverUrl: "http://s",
      directory: "",
      sessionId: "ses_1",
      title: `t ${key}`,
      model: "",
      agent: "",
      createdAt: 0,
      lastUsedAt,
      lastMessageId: "",
    });
    const records = [record("cli:3", now), record("cli:default", now - 120_000), record("web:9", now)];
    assert.deepEqual(conversationLines(records, colorsFor(false), { current: "cli:3", now }), [
      "   KEY          TITLE          LAST USED  MODEL",
      "*  cli:3        t cli:3        just now   default",
      "   cli:default  t cli:default  2 min ago  default",
      "   web:9        t web:9        just now   default",
    ]);
    assert.equal(nextConversationKey(records), "cli:4");
    assert.equal(nextConversationKey([]), "cli:2");
  });

  test("this machine, for --spawn", () => {
    for (const host of ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1", "app.localhost"]) assert.ok(isThisMachine(host), host);
    for (const host of ["example.com", "10.0.0.1", "0.0.0.0", "128.0.0.1", "localhost.example.com"]) assert.ok(!isThisMachine(host), host);
  });
});
