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
//   [[question:Q|A|B|…]]   call the question tool with one question Q (header: Q cut to 30
//                          characters) and options A, B, … (`LABEL=DESCRIPTION` sets an option's
//                          description, default: the label); a leading `*` (`[[question:*Q|A|B]]`)
//                          allows several answers (`multiple: true`). The argument may instead be
//                          the tool's whole input as JSON (`[[question:{"questions":[…]}]]`, or
//                          just the questions array; it must not contain `]]`).
//                          OpenCode then waits for `POST /question/{id}/reply`; once the tool's
//                          result is back, reply "Answer received: <tool output>"
//   [[todo:ITEM|ITEM|…]]   call the todowrite tool with one todo per ITEM, written
//                          `[STATUS:][PRIORITY:]CONTENT` (status pending|in_progress|completed|
//                          cancelled, default pending; priority high|medium|low, default medium),
//                          e.g. `[[todo:in_progress:high:Fix bug|Write tests]]`; then reply
//                          "Todos updated"
//   [[write:PATH|CONTENT]] call the write tool (filePath, content: everything after the first
//                          `|`, newlines included); then reply "Wrote PATH: <tool output>"
//   [[edit:PATH|OLD|NEW]]  call the edit tool (filePath, oldString OLD, newString NEW; OLD holds
//                          no `|`); then reply "Edited PATH: <tool output>". OpenCode 1.2.x
//                          refuses to write or edit an existing file the session has not read
//                          (1.18 doesn't check), so both first call the read tool on PATH when it
//                          exists (`existsSync` at the time of the request) and none of this
//                          prompt's earlier steps read, wrote or edited it.
//                          A relative PATH is made absolute against the "Working directory:" line
//                          of the system prompt OpenCode sends (the tools want absolute paths).
//   [[echo-files]]         reply with one line per file or image part of the last user message:
//                          "file: image_url mime=image/png bytes=N" /
//                          "file: file name=doc.pdf mime=application/pdf bytes=N text=…" (the first
//                          40 characters when the bytes are text), or "no files". OpenCode inlines
//                          text/plain attachments as text parts ("Called the Read tool …" and the
//                          content), which show as "text: <first 80 characters>" lines.
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
// Tool directives (bash, question, todo, write, edit) may be repeated and mixed: each request
// makes the next call in prompt order, one tool call per step, and the last step's reply is the
// replies of every directive, one per line (`[[write:a|1]][[write:b|2]]` writes a, then b, then
// says "Wrote a: …\nWrote b: …").
//
// Directives combine (`[[chunks:50]][[delay:20]]`). Order of evaluation: flaky (while failing),
// then error, then the first action of task > steps > tool directives > echo-files > reply >
// chunks. Text outside directives only matters when no action is given: the reply then echoes
// the prompt with its directives removed.
// A request without `tools` is OpenCode's title generator and always gets "Fake title", or its
// compaction agent (`POST /session/{id}/summarize`, or an overflowing context: its system prompt
// says "context summarization" or "summarizing conversations"), which always gets "Fake summary"
// (its prompt quotes the conversation, so the directives in it are not obeyed).
//
// `scriptedProviderConfig` declares `fake-model` with image and PDF input (so OpenCode passes
// images as `image_url` and PDFs as `file` content parts) and `other-model` text only (OpenCode
// then replaces an attachment with an "ERROR: Cannot read …" text part).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ChatRequestBody, type Directive, parseDirectives } from "./scripted-directives.js";
import { type Conversation, conversationState, describeParts, type ToolCall, toolPlan } from "./scripted-tools.js";

export type { ChatContentPart, ChatMessage, ChatRequestBody, ChatTool, Directive } from "./scripted-directives.js";
export { parseDirectives } from "./scripted-directives.js";

export interface RecordedRequest {
  /** `Date.now()` when the request body had fully arrived. */
  at: number;
  /** The request's `model` field: the model id as OpenCode sends it, e.g. "fake-model". */
  model: string;
  /** Text of the last user message (all its text parts joined). */
  userText: string;
  /** True for OpenCode's requests without `tools`: the title generator's and the compaction's. */
  isTitle: boolean;
  body: ChatRequestBody;
  /** `Date.now()` when the first chunk of answer text was written to the socket (none yet: undefined). */
  firstTextAt?: number;
}

export interface ScriptedModel {
  /** e.g. "http://127.0.0.1:PORT/v1", the provider's `baseURL`. */
  baseURL: string;
  /** Every `POST /v1/chat/completions` in arrival order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
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
      toolCall?: ToolCall;
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

  function plan(request: RecordedRequest, conv: Conversation): Plan {
    const { toolResults } = conv;
    const { userText } = request;
    if (request.isTitle) {
      return {
        kind: "stream",
        reasoning: [],
        text: [conv.isSummary ? "Fake summary" : "Fake title"],
        delayMs: 0,
        usage: { in: 10, out: 5 },
      };
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
    const tools = toolPlan(directives, conv);
    if (tools) return "call" in tools ? toolStep(tools.call.name, tools.call.args) : { ...base, text: words(tools.reply) };
    if (get("echo-files")) return { ...base, text: words(describeParts(conv.userParts)) };
    const reply = get("reply");
    if (reply) return { ...base, text: words(reply.arg) };
    const chunks = get("chunks");
    if (chunks) return { ...base, text: Array.from({ length: intArg(chunks, 0) }, (_, k) => `w${k} `) };
    return { ...base, text: words(`You said: ${rest}`) };
  }

  async function answer(res: ServerResponse, request: RecordedRequest, p: Plan): Promise<void> {
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
    const model = request.body.model ?? "fake-model";
    // OpenCode aborting a turn closes the connection: stop writing (and waiting) at once.
    let gone = false;
    res.on("close", () => (gone = true));
    const send = (delta: Record<string, unknown>, finish: string | null = null, extra: object = {}) => {
      if (gone) return;
      const chunk = {
        id,
        object: "chat.completion.chunk",
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...extra,
      };
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
      if (!gone) request.firstTextAt ??= Date.now();
    }
    if (p.toolCall) {
      const call = {
        index: 0,
        id: `call_fake_${callCounter}`,
        type: "function",
        function: { name: p.toolCall.name, arguments: JSON.stringify(p.toolCall.args) },
      };
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
    const conv = conversationState(body.messages ?? []);
    const isTitle = !body.tools || body.tools.length === 0;
    const recorded: RecordedRequest = { at: Date.now(), model: body.model ?? "", userText: conv.userText, isTitle, body };
    requests.push(recorded);
    await answer(res, recorded, plan(recorded, conv));
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
          "fake-model": { name: "Fake", limit, modalities: { input: ["text", "image", "pdf"], output: ["text"] } },
          "other-model": { name: "Other fake", limit },
        },
      },
    },
  };
}
