// The scripted model's tool directives ([[question]], [[todo]], [[write]], [[edit]], several tools
// in one prompt) and [[echo-files]], driven against the real `opencode serve` by raw HTTP (no
// pocketpaw code), and what the server makes of them: question requests and their reply routes,
// todo lists, file changes with and without git, file parts. The facts are written up in
// docs/opencode-features-measured.md. The main block runs on 1.18.33; a short one repeats the
// question, todo and edit flows on the oldest supported release, 1.2.6.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import { parseDirectives } from "../../src/opencode/local-server/scripted-model.js";
import { REPO } from "../support/cli.js";
import { useRealServer } from "../support/real-server.js";

const HTTP_TIMEOUT_MS = 10_000;
// Generous for a loaded machine: a turn takes 0.1–0.5 s, the first one in a folder a few seconds.
const TURN_TIMEOUT_MS = 45_000;
const opts = { timeout: 60_000 };

// The few event fields these tests read.
interface ServerEvent {
  type: string;
  properties: {
    sessionID?: string;
    id?: string;
    file?: string;
    info?: { id: string; role?: string; time?: { completed?: number } };
    part?: Part;
    [key: string]: unknown;
  };
}

interface Part {
  id: string;
  type: string;
  sessionID: string;
  messageID: string;
  text?: string;
  tool?: string;
  callID?: string;
  state?: { status: string; input?: Record<string, unknown>; output?: string; error?: string; metadata?: Record<string, unknown> };
}

interface FileDiff {
  file: string;
  patch?: string;
  additions: number;
  deletions: number;
  status?: string;
}

interface StoredMessage {
  info: { id: string; role: string; summary?: { diffs?: FileDiff[] } };
  parts: Part[];
}

/** A server, optionally scoped to one project folder (`?directory=`). */
interface Target {
  url: string;
  directory?: string;
}

function withDirectory(target: Target, path: string): string {
  if (!target.directory) return `${target.url}${path}`;
  return `${target.url}${path}${path.includes("?") ? "&" : "?"}directory=${encodeURIComponent(target.directory)}`;
}

async function call<T = unknown>(target: Target, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(withDirectory(target, path), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await res.text();
  // An unknown route answers 200 with the web UI's HTML: only JSON counts.
  if (res.status !== 204)
    assert.match(res.headers.get("content-type") ?? "", /json/, `${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function createSession(target: Target): Promise<string> {
  const res = await call<{ id: string }>(target, "POST", "/session", { title: "scripted features" });
  assert.equal(res.status, 200);
  return res.body.id;
}

/** One `GET /event` subscription, collecting every event; tests wait on conditions over them. */
class EventStream {
  readonly events: ServerEvent[] = [];
  private readonly abort = new AbortController();
  private readonly listeners = new Set<() => void>();
  private failure: Error | undefined;

  static async open(target: Target): Promise<EventStream> {
    const stream = new EventStream();
    const timer = setTimeout(() => stream.abort.abort(new Error("GET /event: no answer")), HTTP_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(withDirectory(target, "/event"), { signal: stream.abort.signal });
    } finally {
      clearTimeout(timer);
    }
    assert.equal(res.status, 200);
    void stream.pump(res.body!);
    await stream.until((events) => events.some((e) => e.type === "server.connected"), "server.connected");
    return stream;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const data = buffer
            .slice(0, end)
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          buffer = buffer.slice(end + 2);
          if (data) this.events.push(JSON.parse(data) as ServerEvent);
        }
        for (const listener of this.listeners) listener();
      }
      this.failure = new Error("event stream ended");
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
    }
    for (const listener of this.listeners) listener();
  }

  /** Resolves once `check(events)` holds; rejects on timeout or when the stream dies first. */
  until(check: (events: ServerEvent[]) => boolean, what: string, ms = TURN_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const listener = () => {
        if (check(this.events)) finish();
        else if (this.failure) finish(this.failure);
      };
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out waiting for ${what}; seen: ${this.events.map((e) => e.type).join(",")}`)),
        ms,
      );
      this.listeners.add(listener);
      listener();
    });
  }

  of(sessionID: string, type?: string): ServerEvent[] {
    return this.events.filter((e) => e.properties.sessionID === sessionID && (!type || e.type === type));
  }

  /** The latest state of each part of a session, in order of first appearance. */
  parts(sessionID: string): Part[] {
    const latest = new Map<string, Part>();
    for (const e of this.of(sessionID, "message.part.updated")) latest.set(e.properties.part!.id, e.properties.part!);
    return [...latest.values()];
  }

  close(): void {
    this.abort.abort();
  }
}

/** True once the session has gone idle `count` times in all and its assistant messages are complete. */
function idle(sessionID: string, count: number) {
  return (events: ServerEvent[]): boolean => {
    const mine = events.filter((e) => e.properties.sessionID === sessionID);
    if (mine.filter((e) => e.type === "session.idle").length < count) return false;
    const done = new Map<string, boolean>();
    for (const e of mine) {
      const info = e.type === "message.updated" ? e.properties.info : undefined;
      if (info?.role === "assistant") done.set(info.id, Boolean(done.get(info.id) || info.time?.completed));
    }
    return [...done.values()].every(Boolean);
  };
}

/** Sends a prompt with prompt_async; with `wait`, resolves once that turn is over. */
async function prompt(
  target: Target,
  stream: EventStream,
  sessionID: string,
  parts: unknown[],
  extra: Record<string, unknown> = {},
  wait = true,
): Promise<void> {
  const idlesBefore = stream.of(sessionID, "session.idle").length;
  const res = await call(target, "POST", `/session/${sessionID}/prompt_async`, { parts, ...extra });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  if (wait) await stream.until(idle(sessionID, idlesBefore + 1), `the end of the turn in ${sessionID}`);
}

/** Waits for the session's question.asked and returns its properties. */
async function askedQuestion(stream: EventStream, sessionID: string) {
  await stream.until((events) => events.some((e) => e.type === "question.asked" && e.properties.sessionID === sessionID), "question.asked");
  return stream.of(sessionID, "question.asked")[0]!.properties as unknown as {
    id: string;
    sessionID: string;
    questions: Array<{ question: string; header: string; options: unknown[]; multiple?: boolean }>;
    tool: { messageID: string; callID: string };
  };
}

const text = (t: string) => ({ type: "text", text: t });
const finalText = (stream: EventStream, sessionID: string) =>
  stream
    .parts(sessionID)
    .filter((p) => p.type === "text")
    .at(-1)?.text;
const toolParts = (stream: EventStream, sessionID: string) => stream.parts(sessionID).filter((p) => p.type === "tool");

/** The last text of the session's last assistant message, from storage. */
async function storedFinalText(target: Target, sessionID: string): Promise<string | undefined> {
  const messages = (await call<StoredMessage[]>(target, "GET", `/session/${sessionID}/message`)).body;
  return messages
    .filter((m) => m.info.role === "assistant")
    .at(-1)
    ?.parts.filter((p) => p.type === "text")
    .at(-1)?.text;
}

/** A valid 2×2 RGB PNG (OpenCode decodes images: a broken one fails the turn with ImageDecodeError). */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(2, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.from([0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0]);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

const dataUrl = (mime: string, bytes: Buffer | string) => `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`;

test("parseDirectives: a bare [[name]] is a directive with an empty argument", () => {
  assert.deepEqual(parseDirectives("look [[echo-files]] here"), { directives: [{ name: "echo-files", arg: "" }], rest: "look  here" });
  assert.deepEqual(parseDirectives("[[write:a.txt|x]][[edit:a.txt|x|y]]").directives, [
    { name: "write", arg: "a.txt|x" },
    { name: "edit", arg: "a.txt|x|y" },
  ]);
});

describe("scripted tool directives on OpenCode 1.18.33", () => {
  const real = useRealServer();
  let stream: EventStream;
  before(async () => {
    stream = await EventStream.open(real.server);
  });
  after(() => stream?.close());

  test("[[question:…]] asks through the question tool; GET /question lists it; the reply becomes the tool output", opts, async () => {
    const target = real.server;
    const sid = await createSession(target);
    await prompt(target, stream, sid, [text("[[question:Pick a colour|Red|Green|Blue=The sky]]")], {}, false);
    const asked = await askedQuestion(stream, sid);
    assert.match(asked.id, /^que/);
    const question = {
      question: "Pick a colour",
      header: "Pick a colour",
      options: [
        { label: "Red", description: "Red" },
        { label: "Green", description: "Green" },
        { label: "Blue", description: "The sky" },
      ],
    };
    assert.deepEqual(asked.questions, [question]);

    // The tool's schema as OpenCode offers it to the model (on by default in `opencode serve`).
    const offered = real.model.requests
      .filter((r) => !r.isTitle)
      .at(-1)!
      .body.tools!.find((t) => t.function.name === "question");
    const schema = offered?.function.parameters as {
      required: string[];
      properties: { questions: { items: { required: string[]; properties: object } } };
    };
    assert.deepEqual(schema.required, ["questions"]);
    assert.deepEqual(schema.properties.questions.items.required, ["question", "header", "options"]);
    assert.deepEqual(Object.keys(schema.properties.questions.items.properties).sort(), ["header", "multiple", "options", "question"]);

    const pending = await call(target, "GET", "/question");
    assert.deepEqual(pending.body, [{ id: asked.id, sessionID: sid, questions: [question], tool: asked.tool }]);
    const running = toolParts(stream, sid).at(-1);
    assert.equal(running?.tool, "question");
    assert.equal(running?.callID, asked.tool.callID);
    assert.equal((await call<Record<string, { type: string }>>(target, "GET", "/session/status")).body[sid]?.type, "busy");

    assert.equal((await call(target, "POST", `/question/${asked.id}/reply`, { answers: "Blue" })).status, 400);
    const unknown = await call<{ _tag: string }>(target, "POST", "/question/que_nope/reply", { answers: [["Blue"]] });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body._tag, "QuestionNotFoundError");

    const idles = stream.of(sid, "session.idle").length;
    assert.deepEqual(await call(target, "POST", `/question/${asked.id}/reply`, { answers: [["Blue"]] }), { status: 200, body: true });
    await stream.until(idle(sid, idles + 1), "the end of the question turn");

    assert.deepEqual(
      stream.of(sid, "question.replied").map((e) => e.properties),
      [{ sessionID: sid, requestID: asked.id, answers: [["Blue"]] }],
    );
    const tool = toolParts(stream, sid).at(-1)!;
    const output = `User has answered your questions: "Pick a colour"="Blue". You can now continue with the user's answers in mind.`;
    assert.equal(tool.state?.status, "completed");
    assert.equal(tool.state?.output, output);
    assert.deepEqual(tool.state?.metadata?.answers, [["Blue"]]);
    assert.equal(finalText(stream, sid), `Answer received: ${output}`);
    assert.deepEqual((await call(target, "GET", "/question")).body, []);
  });

  test("[[question:*…]] asks a multiple-choice question; rejecting it errors the tool and ends the turn", opts, async () => {
    const target = real.server;
    const sid = await createSession(target);
    await prompt(target, stream, sid, [text("[[question:*Pick several|A|B|C]]")], {}, false);
    const asked = await askedQuestion(stream, sid);
    assert.equal(asked.questions[0]?.multiple, true);
    const requestsBefore = real.model.requests.length;

    const idles = stream.of(sid, "session.idle").length;
    assert.deepEqual(await call(target, "POST", `/question/${asked.id}/reject`), { status: 200, body: true });
    await stream.until(idle(sid, idles + 1), "the end of the rejected turn");

    assert.deepEqual(
      stream.of(sid, "question.rejected").map((e) => e.properties),
      [{ sessionID: sid, requestID: asked.id }],
    );
    const tool = toolParts(stream, sid).at(-1)!;
    assert.equal(tool.state?.status, "error");
    assert.equal(tool.state?.error, "The user dismissed this question");
    assert.equal(real.model.requests.length, requestsBefore, "the turn ends without asking the model again");
  });

  test("[[question:JSON]] passes the tool input as is: two questions, several labels and free text as answers", opts, async () => {
    const target = real.server;
    const sid = await createSession(target);
    const input = {
      questions: [
        {
          question: "Which?",
          header: "Which",
          options: [
            { label: "x", description: "ex" },
            { label: "y", description: "why" },
          ],
          multiple: true,
        },
        { question: "Name?", header: "Name", options: [{ label: "z", description: "zed" }] },
      ],
    };
    await prompt(target, stream, sid, [text(`[[question:${JSON.stringify(input)}]]`)], {}, false);
    const asked = await askedQuestion(stream, sid);
    assert.deepEqual(asked.questions, input.questions);
    const idles = stream.of(sid, "session.idle").length;
    await call(target, "POST", `/question/${asked.id}/reply`, { answers: [["x", "y"], ["my own words"]] });
    await stream.until(idle(sid, idles + 1), "the end of the turn");
    assert.equal(
      finalText(stream, sid),
      `Answer received: User has answered your questions: "Which?"="x, y", "Name?"="my own words". You can now continue with the user's answers in mind.`,
    );
  });

  test("[[todo:…]] writes the session's todo list: todo.updated and GET /session/{id}/todo", opts, async () => {
    const target = real.server;
    const sid = await createSession(target);
    await prompt(target, stream, sid, [text("[[todo:in_progress:high:Fix bug|Write tests|completed:low:Plan]]")]);
    const todos = [
      { content: "Fix bug", status: "in_progress", priority: "high" },
      { content: "Write tests", status: "pending", priority: "medium" },
      { content: "Plan", status: "completed", priority: "low" },
    ];
    assert.deepEqual(
      stream.of(sid, "todo.updated").map((e) => e.properties),
      [{ sessionID: sid, todos }],
    );
    assert.deepEqual((await call(target, "GET", `/session/${sid}/todo`)).body, todos);
    const tool = toolParts(stream, sid)[0]!;
    assert.equal(tool.tool, "todowrite");
    assert.deepEqual(JSON.parse(tool.state?.output ?? ""), todos);
    assert.equal(finalText(stream, sid), "Todos updated");
  });

  test("[[write:…]] and [[edit:…]] change files in the project folder; without git there are no diffs", opts, async () => {
    const target = real.server;
    const sid = await createSession(target);
    await prompt(target, stream, sid, [text("[[write:hello.txt|hello world\nline two\n]]")]);
    const file = join(real.server.projectDir, "hello.txt");
    assert.equal(readFileSync(file, "utf8"), "hello world\nline two\n");
    const write = toolParts(stream, sid)[0]!;
    assert.equal(write.tool, "write");
    assert.deepEqual(write.state?.input, { filePath: file, content: "hello world\nline two\n" }, "the relative path was made absolute");
    assert.equal(finalText(stream, sid), "Wrote hello.txt: Wrote file successfully.");
    assert.ok(
      stream.events.some((e) => e.type === "file.edited" && e.properties.file === file),
      "file.edited {file: absolute path}",
    );

    // The file exists now: the model reads it before editing it (1.2.x insists).
    await prompt(target, stream, sid, [text("[[edit:hello.txt|world|there]]")]);
    assert.equal(readFileSync(file, "utf8"), "hello there\nline two\n");
    const [, read, edit] = toolParts(stream, sid);
    assert.equal(read?.tool, "read");
    assert.equal(edit?.tool, "edit");
    assert.deepEqual(edit?.state?.input, { filePath: file, oldString: "world", newString: "there" });
    assert.equal(finalText(stream, sid), "Edited hello.txt: Edit applied successfully.");

    // No git in the project folder: OpenCode takes no snapshots, so there are no diffs anywhere.
    const messages = (await call<StoredMessage[]>(target, "GET", `/session/${sid}/message`)).body;
    const users = messages.filter((m) => m.info.role === "user");
    assert.deepEqual(
      users.map((m) => m.info.summary?.diffs),
      [[], []],
    );
    assert.deepEqual((await call(target, "GET", `/session/${sid}/diff`)).body, []);
    assert.deepEqual((await call(target, "GET", `/session/${sid}/diff?messageID=${users[1]!.info.id}`)).body, []);
    assert.ok(stream.of(sid, "session.diff").every((e) => Array.isArray(e.properties.diff) && e.properties.diff.length === 0));
    assert.ok(!messages.some((m) => m.parts.some((p) => p.type === "patch")), "no patch parts without git");
  });

  test("several tool directives in one prompt run as successive steps", opts, async () => {
    const target = real.server;
    const sid = await createSession(target);
    await prompt(target, stream, sid, [text("[[write:a.txt|one\n]][[write:b.txt|two\n]][[bash:cat a.txt b.txt]]")]);
    assert.deepEqual(
      toolParts(stream, sid).map((p) => `${p.tool}:${p.state?.status}`),
      ["write:completed", "write:completed", "bash:completed"],
    );
    assert.equal(
      finalText(stream, sid),
      "Wrote a.txt: Wrote file successfully.\nWrote b.txt: Wrote file successfully.\nTool result received: one\ntwo\n",
    );
  });

  test("with git: summary.diffs and GET /session/{id}/diff?messageID=; revert and unrevert", opts, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "pocketpaw-git-project-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir, stdio: "ignore" });
    git("init", "-q");
    writeFileSync(join(dir, "base.txt"), "base line\n");
    git("add", ".");
    git("commit", "-qm", "init");

    // The same server, another project folder: requests and events scoped with ?directory=.
    const target = { url: real.server.url, directory: dir };
    const gitStream = await EventStream.open(target);
    t.after(() => gitStream.close());
    const sid = await createSession(target);
    await prompt(target, gitStream, sid, [text("[[write:new.txt|fresh\n]][[edit:base.txt|base|changed]]")]);
    assert.equal(readFileSync(join(dir, "base.txt"), "utf8"), "changed line\n");

    // The server writes the summary after the turn's idle, one file's diff at a time: a loaded
    // machine was seen reading it with one of the two files. Read until both are there (5 s).
    let messages = (await call<StoredMessage[]>(target, "GET", `/session/${sid}/message`)).body;
    for (let tries = 0; tries < 50 && (messages[0]?.info.summary?.diffs ?? []).length < 2; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      messages = (await call<StoredMessage[]>(target, "GET", `/session/${sid}/message`)).body;
    }
    const user = messages[0]!;
    const diffs = user.info.summary?.diffs ?? [];
    assert.deepEqual(
      diffs.map(({ patch, ...rest }) => rest),
      [
        { file: "base.txt", additions: 1, deletions: 1, status: "modified" },
        { file: "new.txt", additions: 1, deletions: 0, status: "added" },
      ],
    );
    assert.match(diffs[0]!.patch ?? "", /^Index: base\.txt\n[\s\S]*-base line\n\+changed line\n/);
    assert.deepEqual((await call(target, "GET", `/session/${sid}/diff?messageID=${user.info.id}`)).body, diffs);
    // Measured on 1.18.33: without messageID the route answers [] (and session.summary stays 0).
    const whole = (await call(target, "GET", `/session/${sid}/diff`)).body;
    console.log(`# GET /session/{id}/diff without messageID, with git: ${JSON.stringify(whole)}`);
    // One patch part per step that changed files (write, then edit), naming absolute paths.
    const patches = messages.flatMap((m) => m.parts).filter((p) => p.type === "patch") as Array<Part & { hash?: string; files?: string[] }>;
    assert.deepEqual(
      patches.map((p) => p.files),
      [[join(dir, "new.txt")], [join(dir, "base.txt")]],
    );

    // Revert to the prompt: its changes are undone on disk; the messages stay until the next prompt.
    const reverted = await call<{ revert?: { messageID: string; diff?: string } }>(target, "POST", `/session/${sid}/revert`, {
      messageID: user.info.id,
    });
    assert.equal(reverted.status, 200);
    assert.equal(reverted.body.revert?.messageID, user.info.id);
    assert.match(reverted.body.revert?.diff ?? "", /-changed line\n\+base line/);
    assert.equal(readFileSync(join(dir, "base.txt"), "utf8"), "base line\n");
    assert.equal(existsSync(join(dir, "new.txt")), false);
    assert.equal((await call<unknown[]>(target, "GET", `/session/${sid}/message`)).body.length, messages.length);
    const unreverted = await call<{ revert?: unknown }>(target, "POST", `/session/${sid}/unrevert`);
    assert.equal(unreverted.status, 200);
    assert.equal(unreverted.body.revert, undefined);
    assert.equal(readFileSync(join(dir, "base.txt"), "utf8"), "changed line\n");
    assert.equal(readFileSync(join(dir, "new.txt"), "utf8"), "fresh\n");

    // Revert again, then prompt: the reverted messages are dropped for good.
    await call(target, "POST", `/session/${sid}/revert`, { messageID: user.info.id });
    await prompt(target, gitStream, sid, [text("[[reply:fresh start]]")]);
    const after = (await call<StoredMessage[]>(target, "GET", `/session/${sid}/message`)).body;
    assert.deepEqual(
      after.map((m) => m.info.role),
      ["user", "assistant"],
    );
    assert.equal(readFileSync(join(dir, "base.txt"), "utf8"), "base line\n");
  });

  test("file parts reach the model: [[echo-files]] lists an image, a PDF and an inlined text file", opts, async () => {
    const target = real.server;
    const png = tinyPng();
    const files = [
      { type: "file", mime: "text/plain", filename: "notes.txt", url: dataUrl("text/plain", "hello from notes\n") },
      { type: "file", mime: "image/png", filename: "dot.png", url: dataUrl("image/png", png) },
      { type: "file", mime: "application/pdf", filename: "doc.pdf", url: dataUrl("application/pdf", "%PDF-1.4 fake") },
    ];
    const sid = await createSession(target);
    await prompt(target, stream, sid, [text("[[echo-files]]"), ...files]);
    assert.equal(
      finalText(stream, sid),
      [
        `text: "Called the Read tool with the following input: {\\"filePath\\":\\"notes.txt\\"}"`,
        `text: "hello from notes\\n"`,
        `file: image_url mime=image/png bytes=${png.length}`,
        `file: file name=doc.pdf mime=application/pdf bytes=13 text="%PDF-1.4 fake"`,
      ].join("\n"),
    );
    // The stored user message keeps the file parts as sent, after the synthetic text parts.
    const [user] = (await call<StoredMessage[]>(target, "GET", `/session/${sid}/message`)).body;
    assert.deepEqual(
      user!.parts.map((p) => p.type),
      ["text", "text", "text", "file", "file", "file"],
    );

    // other-model takes text only: OpenCode replaces the image with an error text part.
    const sid2 = await createSession(target);
    await prompt(target, stream, sid2, [text("[[echo-files]]"), files[1]], { model: { providerID: "fake", modelID: "other-model" } });
    assert.match(
      finalText(stream, sid2) ?? "",
      /^no files\ntext: "ERROR: Cannot read \\"dot\.png\\" \(this model does not support image input\)/,
    );
  });
});

describe("scripted tool directives on OpenCode 1.2.6", () => {
  const real = useRealServer({ binary: join(REPO, "node_modules", "opencode-1.2", "bin", "opencode") });
  let stream: EventStream;
  before(async () => {
    stream = await EventStream.open(real.server);
  });
  after(() => stream?.close());

  test("question, todo, and an edit that needs a read first", opts, async () => {
    const target = real.server;
    const sid = await createSession(target);
    await prompt(target, stream, sid, [text("[[question:Pick|A|B]]")], {}, false);
    const asked = await askedQuestion(stream, sid);
    assert.equal((await call<unknown[]>(target, "GET", "/question")).body.length, 1);
    await call(target, "POST", `/question/${asked.id}/reply`, { answers: [["B"]] });
    await stream.until(idle(sid, 1), "the end of the question turn");
    assert.match((await storedFinalText(target, sid)) ?? "", /^Answer received: User has answered your questions: "Pick"="B"\./);

    await prompt(target, stream, sid, [text("[[todo:Only one]]")]);
    assert.deepEqual((await call(target, "GET", `/session/${sid}/todo`)).body, [
      { content: "Only one", status: "pending", priority: "medium" },
    ]);

    // 1.2.6 refuses to edit a file the session has not read; the model reads it first.
    writeFileSync(join(real.server.projectDir, "old.txt"), "alpha beta\n");
    await prompt(target, stream, sid, [text("[[edit:old.txt|alpha|gamma]]")]);
    assert.equal(readFileSync(join(real.server.projectDir, "old.txt"), "utf8"), "gamma beta\n");
    assert.equal(await storedFinalText(target, sid), "Edited old.txt: Edit applied successfully.");
  });
});
