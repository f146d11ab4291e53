// A scripted OpenAI-compatible model server on loopback: the model behind `pocketpaw demo` and
// the integration tests, so both run offline against a real OpenCode server.
//
// OpenCode talks to it through `@ai-sdk/openai-compatible` (`POST /v1/chat/completions`,
// `stream: true`). What it answers is scripted by directives written into the text of the last
// user message, so a test controls the model simply by choosing its prompt:
//
//   (none)                 reply "You said: <user text>" word by word
//   [[reply:TEXT]]         stream TEXT word by word
//   [[chunks:N]]           stream N chunks "w0 ", "w1 ", … "w{N-1} "
//   [[delay:MS]]           wait MS ms before every streamed text or reasoning chunk (not before
//                          a tool call)
//   [[think:TEXT]]         stream TEXT as reasoning (`delta.reasoning_content`, which the SDK
//                          turns into a `reasoning` part) before the answer or tool call
//   [[bash:COMMAND]]       call the bash tool; once its result is back, reply
//                          "Tool result received: <tool output>" (output as given, e.g. "hi\n")
//   [[steps:N]]            N successive bash calls (`echo step-1` … `echo step-N`), then reply
//                          "done after N steps"
//   [[task:SUBPROMPT]]     call the task tool (subagent "general") with SUBPROMPT; once its result
//                          is back, reply "Subagent said: <tool output>" (OpenCode wraps that
//                          output in `<task id=…><task_result>…</task_result></task>`).
//                          Directives nest: `[[task:[[bash:echo x]]]]` hands `[[bash:echo x]]`
//                          to the subagent, whose own requests then run it.
//   [[error:STATUS]]       answer HTTP STATUS with an OpenAI-style JSON error
//                          `{"error":{"message":"fake STATUS failure","type":…,"code":null}}`;
//                          type is "server_error" for 5xx, "invalid_request_error" below that:
//                          OpenCode retries every error whose message or body matches its
//                          "server_error"/"429"/"500"… patterns, so a 4xx body must not say it.
//   [[flaky:N]]            the first N requests with this exact prompt text answer 500 with
//                          `retry-after-ms: 10` (OpenCode retries at once); later ones proceed
//   [[usage:IN:OUT]]       usage numbers reported by the final chunk (default 10 in, 5 out)
//
// Directives combine (`[[chunks:50]][[delay:20]]`). Order of evaluation: flaky (while failing),
// then error, then the first action of task > steps > bash > reply > chunks. Text outside directives only matters when no
// action is given: the reply then echoes the prompt with its directives removed.
// A request without `tools` is OpenCode's title generator and always gets "Fake title".

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The parts of an OpenAI chat completion request this fake looks at. */
export interface ChatRequestBody {
  model?: string;
  messages?: ChatMessage[];
  tools?: ChatTool[];
  stream?: boolean;
  [key: string]: unknown;
}

export interface ChatMessage {
  role: string;
  content?: string | Array<{ type: string; text?: string }> | null;
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface ChatTool {
  type: string;
  function: { name: string; description?: string; parameters?: unknown };
}

export interface RecordedRequest {
  /** `Date.now()` when the request body had fully arrived. */
  at: number;
  /** The request's `model` field: the model id as OpenCode sends it, e.g. "fake-model". */
  model: string;
  /** Text of the last user message (all its text parts joined). */
  userText: string;
  /** True for OpenCode's title-generator requests (no `tools`). */
  isTitle: boolean;
  body: ChatRequestBody;
}

export interface ScriptedModel {
  /** e.g. "http://127.0.0.1:PORT/v1", the provider's `baseURL`. */
  baseURL: string;
  /** Every `POST /v1/chat/completions` in arrival order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A directive found in a prompt, e.g. `[[bash:echo hi]]` → { name: "bash", arg: "echo hi" }. */
export interface Directive {
  name: string;
  arg: string;
}

/**
 * Splits out the top-level `[[name:arg]]` directives of a prompt. Brackets are counted, so an
 * argument may itself hold directives (`[[task:[[bash:echo x]]]]`); an argument whose own `[[`
 * and `]]` don't balance is not supported. Returns the directives and the remaining text.
 */
export function parseDirectives(text: string): { directives: Directive[]; rest: string } {
  const directives: Directive[] = [];
  let rest = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("[[", i);
    if (open < 0) break;
    const head = /^\[\[([a-z]+):/.exec(text.slice(open));
    const end = head ? findClose(text, open + 2) : -1;
    if (!head || end < 0) {
      // Not a directive (or unterminated): keep the brackets as plain text.
      rest += text.slice(i, open + 2);
      i = open + 2;
      continue;
    }
    rest += text.slice(i, open);
    directives.push({ name: head[1]!, arg: text.slice(open + head[0].length, end) });
    i = end + 2;
  }
  rest += text.slice(i);
  return { directives, rest: rest.trim() };
}

/** Index of the `]]` that closes the `[[` ending just before `from`, or -1. */
function findClose(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length - 1; ) {
    if (text.startsWith("[[", i)) {
      depth++;
      i += 2;
    } else if (text.startsWith("]]", i)) {
      if (--depth === 0) return i;
      i += 2;
    } else {
      i++;
    }
  }
  return -1;
}

/** Text of a message's content, whether a string or an array of `{type:"text",text}` parts. */
function contentText(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (part.type === "text" ? (part.text ?? "") : "")).join("");
}

/** What follows the last user message: the tool results the model has already been given. */
function conversationState(messages: ChatMessage[]): { userText: string; toolResults: string[] } {
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (m.role === "user") lastUser = i;
  });
  const after = messages.slice(lastUser + 1);
  return {
    userText: lastUser >= 0 ? contentText(messages[lastUser]!.content) : "",
    toolResults: after.filter((m) => m.role === "tool").map((m) => contentText(m.content)),
  };
}

/** Word-by-word chunks whose concatenation is exactly `text` ("a b" → "a ", "b"). */
function words(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** The scripted answer to one request. */
type Plan =
  | { kind: "fail"; status: number; headers?: Record<string, string> }
  | {
      kind: "stream";
      reasoning: string[];
      text: string[];
      toolCall?: { name: string; args: Record<string, unknown> };
      delayMs: number;
      usage: { in: number; out: number };
    };

function intArg(d: Directive | undefined, fallback: number): number {
  const n = d ? Number.parseInt(d.arg, 10) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

export async function startScriptedModel(): Promise<ScriptedModel> {
  const requests: RecordedRequest[] = [];
  // [[flaky:N]]: how many requests each exact prompt text has had so far.
  const attempts = new Map<string, number>();
  let callCounter = 0;

  function plan(request: RecordedRequest, toolResults: string[]): Plan {
    const { userText } = request;
    if (request.isTitle) {
      return { kind: "stream", reasoning: [], text: ["Fake title"], delayMs: 0, usage: { in: 10, out: 5 } };
    }
    const { directives, rest } = parseDirectives(userText);
    const get = (name: string) => directives.find((d) => d.name === name);

    const flaky = get("flaky");
    if (flaky) {
      const seen = attempts.get(userText) ?? 0;
      attempts.set(userText, seen + 1);
      if (seen < intArg(flaky, 0)) return { kind: "fail", status: 500, headers: { "retry-after-ms": "10" } };
    }
    const error = get("error");
    if (error) return { kind: "fail", status: intArg(error, 500) };

    const usageArg = get("usage")?.arg.split(":") ?? [];
    const base = {
      kind: "stream" as const,
      reasoning: words(get("think")?.arg ?? ""),
      delayMs: intArg(get("delay"), 0),
      usage: { in: Number(usageArg[0] ?? 10) || 0, out: Number(usageArg[1] ?? 5) || 0 },
    };
    const toolStep = (name: string, args: Record<string, unknown>) => ({ ...base, text: [], toolCall: { name, args } });
    const lastResult = toolResults.at(-1) ?? "";

    const task = get("task");
    if (task) {
      if (toolResults.length === 0) {
        return toolStep("task", { description: "run a subagent", prompt: task.arg, subagent_type: "general" });
      }
      return { ...base, text: words(`Subagent said: ${lastResult}`) };
    }
    const steps = get("steps");
    if (steps) {
      const n = intArg(steps, 1);
      if (toolResults.length < n) {
        return toolStep("bash", { command: `echo step-${toolResults.length + 1}`, description: "run it" });
      }
      return { ...base, text: words(`done after ${n} steps`) };
    }
    const bash = get("bash");
    if (bash) {
      if (toolResults.length === 0) return toolStep("bash", { command: bash.arg, description: "run it" });
      return { ...base, text: words(`Tool result received: ${lastResult}`) };
    }
    const reply = get("reply");
    if (reply) return { ...base, text: words(reply.arg) };
    const chunks = get("chunks");
    if (chunks) return { ...base, text: Array.from({ length: intArg(chunks, 0) }, (_, k) => `w${k} `) };
    return { ...base, text: words(`You said: ${rest}`) };
  }

  async function answer(res: ServerResponse, body: ChatRequestBody, p: Plan): Promise<void> {
    if (p.kind === "fail") {
      // OpenCode retries any error whose body mentions "server_error" (see the DSL notes), so
      // only 5xx answers say so: a 4xx must stay a final, non-retried failure.
      const type = p.status >= 500 ? "server_error" : "invalid_request_error";
      const error = { message: `fake ${p.status} failure`, type, code: null };
      res.writeHead(p.status, { "content-type": "application/json", ...p.headers });
      res.end(JSON.stringify({ error }));
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const id = `chatcmpl-fake-${++callCounter}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? "fake-model";
    // OpenCode aborting a turn closes the connection: stop writing (and waiting) at once.
    let gone = false;
    res.on("close", () => (gone = true));
    const send = (delta: Record<string, unknown>, finish: string | null = null, extra: object = {}) => {
      if (gone) return;
      const chunk = { id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    };
    const pause = () => (p.delayMs > 0 && !gone ? sleep(p.delayMs) : Promise.resolve());

    send({ role: "assistant", content: "" });
    for (const piece of p.reasoning) {
      await pause();
      send({ reasoning_content: piece });
    }
    for (const piece of p.text) {
      await pause();
      send({ content: piece });
    }
    if (p.toolCall) {
      const call = { index: 0, id: `call_fake_${callCounter}`, type: "function", function: { name: p.toolCall.name, arguments: JSON.stringify(p.toolCall.args) } };
      send({ tool_calls: [call] });
    }
    const usage = { prompt_tokens: p.usage.in, completion_tokens: p.usage.out, total_tokens: p.usage.in + p.usage.out };
    send({}, p.toolCall ? "tool_calls" : "stop", { usage });
    if (!gone) res.end("data: [DONE]\n\n");
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `fake model: no route ${req.method} ${req.url}`, type: "not_found", code: null } }));
      return;
    }
    const body = JSON.parse(await readBody(req)) as ChatRequestBody;
    const { userText, toolResults } = conversationState(body.messages ?? []);
    const isTitle = !body.tools || body.tools.length === 0;
    const recorded: RecordedRequest = { at: Date.now(), model: body.model ?? "", userText, isTitle, body };
    requests.push(recorded);
    await answer(res, body, plan(recorded, toolResults));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug here (or a body that isn't JSON) should fail the turn at once: a 400 is not
      // retried by OpenCode, a 500 would be retried with backoff for minutes.
      if (res.headersSent) return void res.destroy();
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `fake model failed: ${String(err)}`, type: "invalid_request_error", code: null } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Streams still open (a delayed answer, an idle keep-alive socket) would hold close().
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * OpenCode configuration for a provider `fake` served by a scripted model at `baseURL`
 * (`http://127.0.0.1:PORT/v1`), with two models, `fake-model` (the default) and `other-model`.
 */
export function scriptedProviderConfig(baseURL: string): Record<string, unknown> {
  const limit = { context: 32_000, output: 4_096 };
  return {
    model: "fake/fake-model",
    small_model: "fake/fake-model",
    provider: {
      fake: {
        npm: "@ai-sdk/openai-compatible",
        name: "Fake",
        options: { baseURL, apiKey: "x" },
        models: {
          "fake-model": { name: "Fake", limit },
          "other-model": { name: "Other fake", limit },
        },
      },
    },
  };
}
