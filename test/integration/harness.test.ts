// Proves the test harness (fake model + real `opencode serve`) by raw HTTP: no pocketpaw code.
// Each scenario creates a session, subscribes to /event BEFORE prompting, sends the prompt with
// prompt_async and reads events until the turn is over.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseDirectives, type ScriptedModel, startScriptedModel } from "../../src/opencode/local-server/scripted-model.js";
import { type OpenCodeServer, startOpenCode, withTimeout } from "../support/opencode-server.js";

const HTTP_TIMEOUT_MS = 10_000;
const TURN_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 60_000;

// The few event fields these tests look at; everything else passes by.
interface ServerEvent {
  type: string;
  properties: {
    sessionID?: string;
    field?: string;
    delta?: string;
    info?: {
      id: string;
      role?: string;
      parentID?: string;
      modelID?: string;
      finish?: string;
      time?: { completed?: number };
      tokens?: { input: number; output: number };
      error?: { name: string; data?: { statusCode?: number } };
    };
    part?: {
      id: string;
      type: string;
      sessionID: string;
      messageID: string;
      text?: string;
      tool?: string;
      state?: { status: string; output?: string };
    };
  };
}

/** Where to reach a server, and how to authenticate. */
interface Target {
  url: string;
  authorization?: string;
}

function headers(target: Target, json = false): Record<string, string> {
  return {
    ...(target.authorization ? { authorization: target.authorization } : {}),
    ...(json ? { "content-type": "application/json" } : {}),
  };
}

async function request(target: Target, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${target.url}${path}`, {
    method,
    headers: headers(target, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
}

async function createSession(target: Target, title: string): Promise<string> {
  const res = await request(target, "POST", "/session", { title });
  assert.equal(res.status, 200, `POST /session: ${res.status}`);
  const session = (await res.json()) as { id: string };
  assert.match(session.id, /^ses/);
  return session.id;
}

/** A `GET /event` subscription that collects every event and lets a test wait for a condition. */
class EventStream {
  readonly events: ServerEvent[] = [];
  private readonly abort = new AbortController();
  private readonly listeners = new Set<() => void>();
  private failure: Error | undefined;

  private constructor() {}

  /** Opens the stream and waits for its first frame (`server.connected`): from then on, nothing is missed. */
  static async open(target: Target): Promise<EventStream> {
    const stream = new EventStream();
    // The stream's own signal (not AbortSignal.timeout) so it can live long: only the wait for
    // the response headers is bounded here.
    const timer = setTimeout(() => stream.abort.abort(new Error("GET /event: no answer")), HTTP_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(`${target.url}/event`, { headers: headers(target), signal: stream.abort.signal });
    } finally {
      clearTimeout(timer);
    }
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    void stream.pump(res.body!);
    await stream.until((events) => events.some((e) => e.type === "server.connected"), HTTP_TIMEOUT_MS, "server.connected");
    return stream;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, "\n");
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          if (data) this.events.push(JSON.parse(data) as ServerEvent);
        }
        this.notify();
      }
      this.failure = new Error("event stream ended");
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Resolves once `check(events)` is true; rejects on timeout or when the stream dies first. */
  until(check: (events: ServerEvent[]) => boolean, ms: number, what: string): Promise<void> {
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
      const timer = setTimeout(() => {
        const seen = this.events.map((e) => e.type).join(", ");
        finish(new Error(`timed out after ${ms} ms waiting for ${what}; events seen: ${seen}`));
      }, ms);
      this.listeners.add(listener);
      listener();
    });
  }

  close(): void {
    this.abort.abort();
  }
}

/**
 * Done when the session went idle AND every assistant message of it has been completed. Both are
 * needed: on a provider error the completed assistant `message.updated` comes after
 * `session.idle` (see opencode-server.md), in a normal turn before it.
 */
function turnDone(sessionID: string) {
  return (events: ServerEvent[]): boolean => {
    const mine = events.filter((e) => e.properties.sessionID === sessionID);
    if (!mine.some((e) => e.type === "session.idle")) return false;
    const completed = new Map<string, boolean>();
    for (const e of mine) {
      const info = e.type === "message.updated" ? e.properties.info : undefined;
      if (info?.role === "assistant") completed.set(info.id, Boolean(completed.get(info.id) || info.time?.completed));
    }
    return completed.size > 0 && [...completed.values()].every(Boolean);
  };
}

/** What one prompt produced: the session and every event seen while it ran. */
class Turn {
  constructor(
    readonly sessionID: string,
    readonly events: ServerEvent[],
    readonly elapsedMs: number,
  ) {}

  of(sessionID = this.sessionID): ServerEvent[] {
    return this.events.filter((e) => e.properties.sessionID === sessionID);
  }

  /** The latest state of each part of a session, in order of first appearance. */
  parts(sessionID = this.sessionID) {
    const latest = new Map<string, NonNullable<ServerEvent["properties"]["part"]>>();
    for (const e of this.of(sessionID)) {
      if (e.type === "message.part.updated" && e.properties.part) latest.set(e.properties.part.id, e.properties.part);
    }
    return [...latest.values()];
  }

  /** The latest info of each assistant message of a session. */
  assistantMessages(sessionID = this.sessionID) {
    const latest = new Map<string, NonNullable<ServerEvent["properties"]["info"]>>();
    for (const e of this.of(sessionID)) {
      if (e.type === "message.updated" && e.properties.info?.role === "assistant") latest.set(e.properties.info.id, e.properties.info);
    }
    return [...latest.values()];
  }

  /** The assistant's final answer: the text of the last text part. */
  finalText(): string | undefined {
    return this.parts()
      .filter((p) => p.type === "text" && p.messageID !== this.userMessageID())
      .at(-1)?.text;
  }

  private userMessageID(): string | undefined {
    return this.of().find((e) => e.type === "message.updated" && e.properties.info?.role === "user")?.properties.info?.id;
  }
}

/** Creates a session, subscribes to /event, prompts with prompt_async and waits for the turn's end. */
async function runTurn(target: Target, text: string, extraBody: Record<string, unknown> = {}): Promise<Turn> {
  const sessionID = await createSession(target, `harness: ${text.slice(0, 40)}`);
  const stream = await EventStream.open(target);
  try {
    const started = performance.now();
    const res = await request(target, "POST", `/session/${sessionID}/prompt_async`, {
      parts: [{ type: "text", text }],
      ...extraBody,
    });
    assert.equal(res.status, 204, `prompt_async: ${res.status} ${await res.text()}`);
    await stream.until(turnDone(sessionID), TURN_TIMEOUT_MS, `the end of the turn "${text}"`);
    return new Turn(sessionID, stream.events, performance.now() - started);
  } finally {
    stream.close();
  }
}

test("parseDirectives: top-level directives, nesting, plain text", () => {
  assert.deepEqual(parseDirectives("hi [[reply:a b]] there [[delay:5]]"), {
    directives: [
      { name: "reply", arg: "a b" },
      { name: "delay", arg: "5" },
    ],
    rest: "hi  there",
  });
  assert.deepEqual(parseDirectives("[[task:[[bash:echo x]]]]").directives, [{ name: "task", arg: "[[bash:echo x]]" }]);
  assert.deepEqual(parseDirectives("[[usage:3:4]]").directives, [{ name: "usage", arg: "3:4" }]);
  assert.deepEqual(parseDirectives("a [[ b ]] [[open:"), { directives: [], rest: "a [[ b ]] [[open:" });
});

/**
 * Starts a fake model and a server for the enclosing describe() and always stops both after it.
 * The returned object is filled in by the `before` hook.
 */
function useServer(label: string, options: { password?: string; username?: string } = {}) {
  const ctx = {} as { model: ScriptedModel; server: OpenCodeServer };
  before(async () => {
    ctx.model = await startScriptedModel();
    ctx.server = await startOpenCode({ modelBaseURL: ctx.model.baseURL, ...options });
    console.log(`${label}: start-up ${ctx.server.startupMs.toFixed(0)} ms (pid ${ctx.server.pid}, ${ctx.server.url})`);
  });
  after(async () => {
    const started = performance.now();
    if (ctx.server) await withTimeout(ctx.server.stop(), 15_000, `stopping ${label}`);
    console.log(`${label}: stop ${(performance.now() - started).toFixed(0)} ms`);
    if (ctx.model) await withTimeout(ctx.model.close(), HTTP_TIMEOUT_MS, "closing the fake model");
  });
  return ctx;
}

describe("harness against the real opencode server", () => {
  const ctx = useServer("opencode server");
  const opts = { timeout: TEST_TIMEOUT_MS };

  test("a plain reply streams as several deltas", opts, async () => {
    const turn = await runTurn(ctx.server, "hello harness world");
    const deltas = turn.of().filter((e) => e.type === "message.part.delta" && e.properties.field === "text");
    assert.ok(deltas.length >= 2, `expected >= 2 text deltas, got ${deltas.length}`);
    assert.equal(deltas.map((e) => e.properties.delta).join(""), "You said: hello harness world");
    assert.equal(turn.finalText(), "You said: hello harness world");
    console.log(`first turn took ${turn.elapsedMs.toFixed(0)} ms`);
  });

  test("[[think:..]] gives a reasoning part", opts, async () => {
    const turn = await runTurn(ctx.server, "[[think:let me ponder this]][[reply:pondered]]");
    const reasoning = turn.parts().find((p) => p.type === "reasoning");
    assert.equal(reasoning?.text, "let me ponder this");
    assert.equal(turn.finalText(), "pondered");
  });

  test("[[bash:echo hi]] runs the real bash tool", opts, async () => {
    const turn = await runTurn(ctx.server, "[[bash:echo hi]]");
    const tool = turn.parts().find((p) => p.type === "tool");
    assert.equal(tool?.tool, "bash");
    assert.equal(tool?.state?.status, "completed");
    assert.equal(tool?.state?.output, "hi\n");
    assert.match(turn.finalText() ?? "", /^Tool result received: hi/);
  });

  test("[[error:400]] ends the turn with an APIError", opts, async () => {
    const turn = await runTurn(ctx.server, "[[error:400]]");
    const failed = turn.assistantMessages().find((m) => m.error);
    assert.equal(failed?.error?.name, "APIError");
    assert.equal(failed?.error?.data?.statusCode, 400);
  });

  test("[[steps:2]] gives three assistant messages", opts, async () => {
    const turn = await runTurn(ctx.server, "[[steps:2]]");
    const messages = turn.assistantMessages();
    assert.deepEqual(
      messages.map((m) => m.finish),
      ["tool-calls", "tool-calls", "stop"],
    );
    const outputs = turn
      .parts()
      .filter((p) => p.type === "tool")
      .map((p) => p.state?.output);
    assert.deepEqual(outputs, ["step-1\n", "step-2\n"]);
    assert.equal(turn.finalText(), "done after 2 steps");
  });

  test("[[task:..]] runs a subagent in a child session", opts, async () => {
    const turn = await runTurn(ctx.server, "[[task:[[bash:echo from-child]]]]");
    const created = turn.events.find((e) => e.type === "session.created" && e.properties.info?.parentID === turn.sessionID);
    assert.ok(created?.properties.info, "no child session.created");
    const childTool = turn.parts(created.properties.info.id).find((p) => p.type === "tool");
    assert.equal(childTool?.tool, "bash");
    assert.equal(childTool?.state?.status, "completed");
    assert.equal(childTool?.state?.output, "from-child\n");
    const taskTool = turn.parts().find((p) => p.type === "tool");
    assert.equal(taskTool?.tool, "task");
    assert.equal(taskTool?.state?.status, "completed");
    assert.match(turn.finalText() ?? "", /^Subagent said: .*Tool result received: from-child/s);
  });

  test("a model override in the prompt reaches the model server", opts, async () => {
    const text = `override check ${Date.now()}`;
    const turn = await runTurn(ctx.server, text, { model: { providerID: "fake", modelID: "other-model" } });
    const seen = ctx.model.requests.filter((r) => r.userText === text).map((r) => r.model);
    assert.deepEqual(seen, ["other-model"]);
    assert.equal(turn.assistantMessages().at(-1)?.modelID, "other-model");
  });

  test("[[chunks:N]], [[delay:MS]] and [[usage:IN:OUT]] shape the stream", opts, async () => {
    const turn = await runTurn(ctx.server, "[[chunks:5]][[delay:40]][[usage:123:45]]");
    const deltas = turn.of().filter((e) => e.type === "message.part.delta");
    assert.equal(deltas.map((e) => e.properties.delta).join(""), "w0 w1 w2 w3 w4 ");
    assert.ok(turn.elapsedMs >= 5 * 40, `turn took only ${turn.elapsedMs} ms`);
    const tokens = turn.assistantMessages().at(-1)?.tokens;
    assert.equal(tokens?.input, 123);
    assert.equal(tokens?.output, 45);
  });

  test("[[flaky:2]] fails twice, then OpenCode's immediate retry succeeds", opts, async () => {
    const text = `[[flaky:2]] flaky ${Date.now()}`;
    const turn = await runTurn(ctx.server, text);
    assert.equal(ctx.model.requests.filter((r) => r.userText === text).length, 3);
    assert.match(turn.finalText() ?? "", /^You said: flaky/);
  });
});

describe("harness with a password", () => {
  const ctx = useServer("opencode server with password", { password: "s3cret", username: "paw" });

  test("the server answers 401 without auth, 200 with Basic auth or auth_token", { timeout: TEST_TIMEOUT_MS }, async () => {
    const anonymous = await request(ctx.server, "GET", "/global/health");
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic/);

    const authorization = `Basic ${Buffer.from("paw:s3cret").toString("base64")}`;
    const authed = await request({ url: ctx.server.url, authorization }, "GET", "/global/health");
    assert.equal(authed.status, 200);
    assert.deepEqual(await authed.json(), { healthy: true, version: "1.18.33" });

    // The query form, for clients that can't send headers (EventSource).
    const token = encodeURIComponent(Buffer.from("paw:s3cret").toString("base64"));
    const byQuery = await request(ctx.server, "GET", `/global/health?auth_token=${token}`);
    assert.equal(byQuery.status, 200);
  });
});
