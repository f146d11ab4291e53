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

import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isAbsolute, resolve } from "node:path";

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
  content?: string | ChatContentPart[] | null;
  tool_call_id?: string;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
  [key: string]: unknown;
}

/**
 * One entry of a message's `content` array: `{type:"text",text}`, an image
 * `{type:"image_url",image_url:{url}}` or a file `{type:"file",file:{filename,file_data}}`
 * (how `@ai-sdk/openai-compatible` sends OpenCode's file parts; `*_url`/`file_data` are data URLs).
 */
export interface ChatContentPart {
  type: string;
  text?: string;
  image_url?: { url: string };
  file?: { filename?: string; file_data?: string; file_id?: string };
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
  /** True for OpenCode's requests without `tools`: the title generator's and the compaction's. */
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
 * Splits out the top-level `[[name:arg]]` (or bare `[[name]]`) directives of a prompt. Brackets
 * are counted, so an argument may itself hold directives (`[[task:[[bash:echo x]]]]`); an
 * argument whose own `[[` and `]]` don't balance is not supported. Returns the directives and
 * the remaining text.
 */
export function parseDirectives(text: string): { directives: Directive[]; rest: string } {
  const directives: Directive[] = [];
  let rest = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("[[", i);
    if (open < 0) break;
    // `[[name:arg]]`, or `[[name]]` with an empty argument.
    const head = /^\[\[([a-z][a-z-]*)(?::|(?=\]\]))/.exec(text.slice(open));
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

/** A tool call the model made after the last user message, and its output once back. */
interface MadeCall {
  name: string;
  args: Record<string, unknown>;
  output?: string;
}

/** What a request says about where the conversation stands. */
interface Conversation {
  /** Text of the last user message. */
  userText: string;
  /** Content parts of the last user message (string content becomes one text part). */
  userParts: ChatContentPart[];
  /** Outputs of the tool results after the last user message, in order. */
  toolResults: string[];
  /** The tool calls after the last user message, in order, with their outputs. */
  calls: MadeCall[];
  /** The project folder, from the "Working directory: …" line of OpenCode's system prompt. */
  workingDirectory?: string;
  /** The system prompt is OpenCode's compaction ("context summarization") agent's. */
  isSummary: boolean;
}

function conversationState(messages: ChatMessage[]): Conversation {
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (m.role === "user") lastUser = i;
  });
  const after = messages.slice(lastUser + 1);
  const outputs = new Map<string, string>();
  for (const m of after) if (m.role === "tool" && m.tool_call_id) outputs.set(m.tool_call_id, contentText(m.content));
  const calls = after.flatMap((m) =>
    (m.role === "assistant" ? (m.tool_calls ?? []) : []).map((c): MadeCall => {
      const output = outputs.get(c.id);
      return { name: c.function.name, args: parseJsonObject(c.function.arguments), ...(output !== undefined ? { output } : {}) };
    }),
  );
  const content = lastUser >= 0 ? messages[lastUser]!.content : undefined;
  const system = messages.filter((m) => m.role === "system").map((m) => contentText(m.content)).join("\n");
  const workingDirectory = /^\s*Working directory: (.+)$/m.exec(system)?.[1]?.trim();
  return {
    userText: contentText(content),
    userParts: typeof content === "string" ? [{ type: "text", text: content }] : (content ?? []),
    toolResults: after.filter((m) => m.role === "tool").map((m) => contentText(m.content)),
    calls,
    ...(workingDirectory ? { workingDirectory } : {}),
    isSummary: /context summarization|summarizing conversations/i.test(system),
  };
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

type ToolCall = { name: string; args: Record<string, unknown> };

/** The directives that make a tool call, and the call each one makes. */
const TOOL_DIRECTIVES = new Set(["bash", "question", "todo", "write", "edit"]);

function toolCallOf(d: Directive, workingDirectory: string | undefined): ToolCall {
  const absolute = (path: string) => (isAbsolute(path) || !workingDirectory ? path : resolve(workingDirectory, path));
  switch (d.name) {
    case "bash":
      return { name: "bash", args: { command: d.arg, description: "run it" } };
    case "question":
      return { name: "question", args: questionInput(d.arg) };
    case "todo":
      return { name: "todowrite", args: { todos: todosOf(d.arg) } };
    case "write": {
      const [path, content] = splitOnce(d.arg);
      return { name: "write", args: { filePath: absolute(path), content: content ?? "" } };
    }
    default: {
      const [path, rest] = splitOnce(d.arg);
      const [oldString, newString] = splitOnce(rest ?? "");
      return { name: "edit", args: { filePath: absolute(path), oldString, newString: newString ?? "" } };
    }
  }
}

/** What the model says about a tool directive once its call's output is back. */
function replyOf(d: Directive, output: string): string {
  switch (d.name) {
    case "bash":
      return `Tool result received: ${output}`;
    case "question":
      return `Answer received: ${output}`;
    case "todo":
      return "Todos updated";
    case "write":
      return `Wrote ${splitOnce(d.arg)[0]}: ${output}`;
    default:
      return `Edited ${splitOnce(d.arg)[0]}: ${output}`;
  }
}

/** "a|b|c" → ["a", "b|c"]; without `|`, [text]. */
function splitOnce(text: string): [string, string?] {
  const at = text.indexOf("|");
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/** `[[question:…]]`'s argument as the question tool's input (see the header). */
function questionInput(arg: string): Record<string, unknown> {
  const trimmed = arg.trim();
  // Bad JSON throws: the request then fails at once with a 400 naming the error.
  if (trimmed.startsWith("{")) return JSON.parse(trimmed) as Record<string, unknown>;
  if (trimmed.startsWith("[")) return { questions: JSON.parse(trimmed) as unknown };
  const multiple = trimmed.startsWith("*");
  const [question = "", ...labels] = (multiple ? trimmed.slice(1) : trimmed).split("|");
  const options = labels.map((option) => {
    const [label = "", description] = option.split("=", 2);
    return { label, description: description ?? label };
  });
  return { questions: [{ question, header: question.slice(0, 30), options, ...(multiple ? { multiple: true } : {}) }] };
}

const TODO_STATUSES = new Set(["pending", "in_progress", "completed", "cancelled"]);
const TODO_PRIORITIES = new Set(["high", "medium", "low"]);

/** `[[todo:…]]`'s argument as todowrite's `todos` (see the header). */
function todosOf(arg: string): Array<{ content: string; status: string; priority: string }> {
  return arg.split("|").map((item) => {
    let rest = item;
    let status = "pending";
    let priority = "medium";
    for (;;) {
      const word = /^([a-z_]+):/.exec(rest)?.[1];
      if (word && TODO_STATUSES.has(word)) status = word;
      else if (word && TODO_PRIORITIES.has(word)) priority = word;
      else break;
      rest = rest.slice(word.length + 1);
    }
    return { content: rest, status, priority };
  });
}

/**
 * The next step of the prompt's tool directives: the call to make, or (all outputs back) the
 * final reply; undefined when the prompt has none. A write or edit of an existing file first
 * reads it (OpenCode 1.2.x refuses to change a file the session has not read) unless one of this
 * prompt's earlier calls already read, wrote or edited it.
 */
function toolPlan(directives: Directive[], conv: Conversation): { call: ToolCall } | { reply: string } | undefined {
  const mine = directives.filter((d) => TOOL_DIRECTIVES.has(d.name));
  if (mine.length === 0) return undefined;
  const replies: string[] = [];
  let k = 0;
  for (const d of mine) {
    const call = toolCallOf(d, conv.workingDirectory);
    if (call.name === "write" || call.name === "edit") {
      const path = call.args.filePath;
      const prior = conv.calls[k];
      const touched = conv.calls.slice(0, k).some((c) => ["read", "write", "edit"].includes(c.name) && c.args.filePath === path);
      if (prior?.name === "read" && prior.args.filePath === path) k++;
      else if (!prior && !touched && typeof path === "string" && existsSync(path)) return { call: { name: "read", args: { filePath: path } } };
    }
    const made = conv.calls[k++];
    if (!made) return { call };
    replies.push(replyOf(d, made.output ?? ""));
  }
  return { reply: replies.join("\n") };
}

/** `[[echo-files]]`: one line per non-prompt part of the last user message (see the header). */
function describeParts(parts: ChatContentPart[]): string {
  const lines: string[] = [];
  for (const part of parts) {
    if (part.type === "text") {
      const text = part.text ?? "";
      if (!text.includes("[[echo-files]]")) lines.push(`text: ${JSON.stringify(text.slice(0, 80))}`);
    } else if (part.type === "image_url") {
      lines.push(`file: image_url ${describeDataUrl(part.image_url?.url ?? "")}`);
    } else if (part.type === "file") {
      const name = part.file?.filename ? `name=${part.file.filename} ` : "";
      lines.push(`file: file ${name}${describeDataUrl(part.file?.file_data ?? "")}`);
    } else {
      lines.push(`other: ${part.type}`);
    }
  }
  return lines.some((line) => line.startsWith("file:")) ? lines.join("\n") : ["no files", ...lines].join("\n");
}

/** "mime=image/png bytes=70" (+ ` text="…"` when the bytes are text) for a data URL. */
function describeDataUrl(url: string): string {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!match) return `url=${url.slice(0, 60)}`;
  const [, mime = "", params = "", data = ""] = match;
  const bytes = params.includes(";base64") ? Buffer.from(data, "base64") : Buffer.from(decodeURIComponent(data), "utf8");
  const text = bytes.toString("utf8");
  const isText = !text.includes("\uFFFD") && !/[\u0000-\u0008\u000E-\u001F]/.test(text);
  return `mime=${mime} bytes=${bytes.length}${isText ? ` text=${JSON.stringify(text.slice(0, 40))}` : ""}`;
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
      return { kind: "stream", reasoning: [], text: [conv.isSummary ? "Fake summary" : "Fake title"], delayMs: 0, usage: { in: 10, out: 5 } };
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
    const conv = conversationState(body.messages ?? []);
    const isTitle = !body.tools || body.tools.length === 0;
    const recorded: RecordedRequest = { at: Date.now(), model: body.model ?? "", userText: conv.userText, isTitle, body };
    requests.push(recorded);
    await answer(res, body, plan(recorded, conv));
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
