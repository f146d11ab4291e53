import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { MAX_ATTACHMENT_BYTES } from "../../src/agent/backend.js";
import { BackendError } from "../../src/agent/errors.js";
import { attachmentsOf } from "../../src/cli/ask.js";
import { AttachmentError, mimeOf, readAttachment } from "../../src/cli/attachments.js";
import { type ChatContext, runChatCommand } from "../../src/cli/chat/commands.js";
import { CliError } from "../../src/cli/context.js";
import { TerminalRenderer } from "../../src/cli/render.js";
import { checkAgent, checkCommand } from "../../src/cli/server-names.js";
import { FakeBackend } from "../support/fake-backend.js";

const dir = mkdtempSync(join(tmpdir(), "pocketpaw-attach-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

function chat(backend = new FakeBackend()) {
  const said: string[] = [];
  const sink = { write: () => undefined };
  const ctx: ChatContext = {
    state: { key: "cli:default", model: "", agent: "", attachments: [] },
    backend,
    renderer: new TerminalRenderer(sink, sink, { color: false, showTime: false }),
    say: (text) => void said.push(text),
  };
  const last = () => said.at(-1) ?? "";
  return { backend, ctx, said, last, run: (line: string) => runChatCommand(ctx, line) };
}

async function started(backend: FakeBackend, key = "cli:default") {
  for await (const _ of backend.run("first words", { sessionKey: key }));
}

describe("attachments", () => {
  test("read with a mime type from the extension, else text when the bytes are UTF-8 text", () => {
    const md = readAttachment(file("notes.md", "# hi\n"));
    assert.deepEqual([md.name, md.mime, Buffer.from(md.data).toString()], ["notes.md", "text/markdown", "# hi\n"]);
    assert.equal(readAttachment(file("Makefile", "all:\n\techo ✓\n")).mime, "text/plain");
    assert.equal(readAttachment(file("shot.PNG", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0]))).mime, "image/png");
    assert.equal(mimeOf("paper.pdf", new Uint8Array([0])), "application/pdf");
    assert.equal(mimeOf("photo.jpeg", new Uint8Array()), "image/jpeg");
  });

  test("a missing file, a directory, one too large, or an unknown binary is refused before anything is sent", () => {
    const big = file("big.log", "");
    truncateSync(big, MAX_ATTACHMENT_BYTES + 1); // sparse: nothing is written
    mkdirSync(join(dir, "folder"), { recursive: true });
    const cases: Array<[string, RegExp]> = [
      [join(dir, "nope.txt"), /nope\.txt: no such file/],
      [join(dir, "folder"), /folder is a directory/],
      [big, /big\.log is 10\.0 MB: an attachment may be at most 10\.0 MB/],
      [file("blob.bin", new Uint8Array([0, 1, 2, 0xff])), /neither text, an image \(PNG, JPEG, GIF, WebP\) nor a PDF/],
    ];
    // A FIFO is refused without being opened (opening it would wait for a writer).
    execFileSync("mkfifo", [join(dir, "pipe.txt")]);
    cases.push([join(dir, "pipe.txt"), /pipe\.txt is not a regular file/]);
    for (const [path, message] of cases)
      assert.throws(
        () => readAttachment(path),
        (e: Error) => e instanceof AttachmentError && message.test(e.message),
      );
    // ask --file: bad usage (exit 2), the flag named.
    assert.throws(
      () => attachmentsOf([join(dir, "notes.md"), join(dir, "nope.txt")]),
      (e: Error) => {
        return e instanceof CliError && e.exitCode === 2 && /^--file .*nope\.txt: no such file/.test(e.message);
      },
    );
  });

  test("/attach attaches to the next message, /attach alone lists, /detach takes back", async () => {
    const { ctx, last, run } = chat();
    await run("/attach");
    assert.match(last(), /Nothing attached/);
    await run(`/attach ${join(dir, "nope.txt")}`);
    assert.match(last(), /^Not attached: .*nope\.txt: no such file/);
    await run(`/attach ${file("a b.txt", "spaces in the name")}`);
    await run(`/attach ${join(dir, "notes.md")}`);
    assert.match(last(), /Attached notes\.md \(text\/markdown, 5 bytes\): it goes with your next message/);
    await run("/attach");
    assert.match(last(), /Attached to your next message: a b\.txt \(text\/plain, 18 bytes\), notes\.md/);
    await run("/detach notes.md");
    assert.deepEqual(
      ctx.state.attachments.map((a) => a.name),
      ["a b.txt"],
    );
    await run("/detach");
    assert.deepEqual(ctx.state.attachments, []);
    assert.match(last(), /Detached the file/);
  });
});

describe("agents and server commands", () => {
  test("/agent lists the primary agents, marking the current one; /agent NAME switches and remembers", async () => {
    const { backend, ctx, said, last, run } = chat();
    await started(backend);
    await run("/agent");
    assert.deepEqual(said.slice(0, 2), ["     build  The default agent", "     plan   Plans without editing"]);
    assert.match(last(), /Agent: the server's default\. \/agent NAME changes it/);
    await run("/agent plan");
    assert.equal(ctx.state.agent, "plan");
    assert.equal(backend.get("cli:default")?.agent, "plan");
    said.length = 0;
    await run("/agent");
    assert.equal(said[1], "  *  plan   Plans without editing");
    await run("/agent default");
    assert.equal(backend.get("cli:default")?.agent, "");
  });

  test("an unknown agent, or a subagent, is refused naming the agents there are", async () => {
    const { ctx, last, run } = chat();
    await run("/agent wizard");
    assert.equal(last(), 'The server has no agent "wizard"; its agents are: build, plan.');
    await run("/agent general");
    assert.match(last(), /"general" is a subagent .* the agents are: build, plan\./);
    assert.equal(ctx.state.agent, "");
    const backend = new FakeBackend();
    assert.equal(await checkAgent(backend, "plan"), undefined);
    assert.match((await checkCommand(backend, "nope")) ?? "", /no command "nope"; its commands are: init/);
    // A server that cannot be asked: the run will say what is wrong.
    backend.agents = async () => {
      throw new BackendError("unreachable", "down");
    };
    assert.equal(await checkAgent(backend, "wizard"), undefined);
  });

  test("/commands lists the server's (asked once); /NAME runs one of them with its arguments; unknown ones are explained", async () => {
    const backend = new FakeBackend();
    let asked = 0;
    backend.commands = async () => {
      asked++;
      return [
        { name: "init", description: "Create AGENTS.md" },
        { name: "help", description: "The server's help" },
      ];
    };
    const { said, last, run } = chat(backend);
    await run("/commands");
    assert.deepEqual(said.slice(0, 2), ["  /init  Create AGENTS.md", "  /help  The server's help (hidden by pocketpaw's own /help)"]);
    assert.deepEqual(await run("/init  focus on the tests "), { command: "init", args: "focus on the tests" });
    assert.equal(await run("/frobnicate now"), undefined);
    assert.equal(last(), "Unknown command /frobnicate: /help lists pocketpaw's commands, /commands the server's.");
    assert.equal(asked, 1);
  });
});

describe("undo, redo, fork, compact", () => {
  test("each says what happened", async () => {
    const { backend, ctx, last, run } = chat();
    await started(backend);
    await run("/undo");
    assert.equal(last(), "Undid the last turn of cli:default, and its changes to files: /redo brings it back.");
    await run("/redo");
    assert.equal(last(), "Redid the turn of cli:default that /undo reverted, and its changes to files.");
    backend.undoable = false;
    await run("/undo");
    assert.equal(last(), "Nothing to undo in cli:default.");
    await run("/redo");
    assert.equal(last(), "Nothing to redo in cli:default.");
    await run("/compact");
    assert.equal(last(), "Compacted cli:default: its next turns start from the summary.");
    backend.setAgent("cli:default", "plan");
    await run("/fork idea");
    assert.equal(last(), "Forked cli:default into idea (session ses_1_fork); you are in idea now, /switch cli:default goes back.");
    assert.equal(ctx.state.key, "idea");
    assert.equal(ctx.state.agent, "plan", "the fork keeps the conversation's agent");
    await run("/fork");
    assert.equal(ctx.state.key, "cli:2");
    assert.deepEqual(backend.operations, [
      "undo cli:default",
      "redo cli:default",
      "undo cli:default",
      "redo cli:default",
      "compact cli:default",
      "fork cli:default idea",
      "fork idea cli:2",
    ]);
  });

  test("errors are one line: a conversation with no messages yet, a key taken, the server's refusal", async () => {
    const { backend, last, run } = chat();
    await run("/undo");
    assert.equal(last(), "cli:default has no messages yet: nothing to undo.");
    await run("/compact");
    assert.equal(last(), "cli:default has no messages yet: nothing to compact.");
    await started(backend);
    await started(backend, "taken");
    await run("/fork taken");
    assert.equal(last(), "taken already exists: /fork another key.");
    backend.redo = async () => {
      throw new BackendError("session", "the server said\u001b[2J no");
    };
    await run("/redo");
    assert.equal(last(), "Could not redo: the server said␛[2J no");
  });

  test("/switch takes the conversation's remembered agent; a new conversation keeps the chat's", async () => {
    const { backend, ctx, last, run } = chat();
    await started(backend, "planning");
    backend.setAgent("planning", "plan");
    await run("/switch planning");
    assert.equal(ctx.state.agent, "plan");
    assert.match(last(), /Switched to planning: "first words" \(last used just now\) · agent plan\./);
    await run("/new fresh");
    assert.equal(ctx.state.agent, "plan");
  });
});
