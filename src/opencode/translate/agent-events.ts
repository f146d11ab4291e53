import {
  type AgentEvent,
  type ChangedFile,
  type ErrorCode,
  type ErrorEvent,
  errorEvent,
  type FilesChangedEvent,
  type PermissionRequestEvent,
  type Question,
  type QuestionEvent,
  type StatusEvent,
  type SubagentRef,
  type ThinkingDoneEvent,
  type Todo,
  type TodoEvent,
  type TokenUsage,
  type TokenUsageEvent,
  type ToolResultEvent,
  type ToolUseEvent,
} from "../../agent/events.js";
import { type OcError, type OcMessageInfo, type OcPart, type OcToolState, str } from "../rest/wire.js";

/**
 * What each OpenCode thing is as an AgentEvent. The translator (translate.ts) decides what is new
 * and when; these functions say what it becomes. A subagent's events carry `subagent`.
 */

function from(subagent: SubagentRef | undefined): { subagent?: SubagentRef } {
  return subagent ? { subagent } : {};
}

export function statusEvent(metadata: StatusEvent["metadata"], content: string): StatusEvent {
  return { type: "status", content, metadata };
}

/** `session.status` of type `retry`: the provider failed and OpenCode tries again. */
export function retryEvent(status: Record<string, unknown> | undefined): StatusEvent {
  const attempt = Number(status?.attempt ?? 0);
  const next = typeof status?.next === "number" ? status.next : undefined;
  const message = str(status, "message") ?? "the model provider failed";
  return statusEvent(
    { state: "retrying", attempt, message, ...(next ? { nextAt: next } : {}) },
    `The model provider failed (${message}); OpenCode retries (attempt ${attempt}).`,
  );
}

/** New text of a part: reasoning is `thinking`; prose is a `message`, the conversation's own agent's only. */
export function textEvent(
  kind: "text" | "reasoning",
  content: string,
  partId: string,
  messageId: string,
  subagent: SubagentRef | undefined,
): AgentEvent | undefined {
  if (kind === "reasoning") return { type: "thinking", content, metadata: { partId, messageId, ...from(subagent) } };
  // A subagent's prose is its answer to the calling agent, not to the user: it reaches the
  // conversation as the task tool's result.
  return subagent ? undefined : { type: "message", content, metadata: { partId, messageId } };
}

export function thinkingDoneEvent(partId: string, messageId: string, subagent: SubagentRef | undefined): ThinkingDoneEvent {
  return { type: "thinking_done", content: "", metadata: { partId, messageId, ...from(subagent) } };
}

function toolMeta(part: OcPart, s: OcToolState, subagent: SubagentRef | undefined) {
  return { name: part.tool ?? "tool", callId: part.callID ?? part.id, ...(s.title ? { title: s.title } : {}), ...from(subagent) };
}

export function toolUseEvent(part: OcPart, s: OcToolState, subagent: SubagentRef | undefined): ToolUseEvent {
  const meta = toolMeta(part, s, subagent);
  const input = s.input ?? {};
  const summary = summarizeToolInput(input);
  return { type: "tool_use", content: summary ? `${meta.name} ${summary}` : meta.name, metadata: { ...meta, input, summary } };
}

/** The result of a tool that ended (`completed` or `error`). */
export function toolResultEvent(part: OcPart, s: OcToolState, subagent: SubagentRef | undefined): ToolResultEvent {
  const isError = s.status === "error";
  return {
    type: "tool_result",
    content: isError ? (s.error ?? "the tool failed") : wholeOutput(s),
    metadata: { ...toolMeta(part, s, subagent), isError },
  };
}

/** `permission.asked`'s properties as a request; none without an id to answer. */
export function permissionEvent(
  p: Record<string, unknown>,
  sessionId: string,
  subagent: SubagentRef | undefined,
): PermissionRequestEvent | undefined {
  const id = str(p, "id");
  if (!id) return undefined;
  const what = str(p, "permission") ?? "a tool";
  const patterns = Array.isArray(p.patterns) ? p.patterns.map(String) : [];
  const always = Array.isArray(p.always) ? p.always.map(String) : [];
  return {
    type: "permission_request",
    content: `OpenCode asks permission for ${what}${patterns.length ? `: ${patterns.join(", ")}` : ""}`,
    metadata: { id, permission: what, patterns, always, sessionId, ...from(subagent) },
  };
}

/**
 * The events beside a message's parts that concern the run: a permission request, a question, the
 * todo list (subagents' included); undefined for any other event type.
 */
export function sideEvent(
  type: string,
  p: Record<string, unknown>,
  sessionId: string,
  subagent: SubagentRef | undefined,
): AgentEvent | undefined {
  if (type === "permission.asked") return permissionEvent(p, sessionId, subagent);
  if (type === "question.asked") return questionEvent(p, sessionId, subagent);
  if (type === "todo.updated") return todoEvent(p, subagent);
  return undefined;
}

/** `question.asked`'s properties (or a pending question of `GET /question`); none without an id to answer. */
export function questionEvent(p: Record<string, unknown>, sessionId: string, subagent: SubagentRef | undefined): QuestionEvent | undefined {
  const id = str(p, "id");
  if (!id) return undefined;
  const questions = (Array.isArray(p.questions) ? p.questions : []).map(normaliseQuestion);
  const asked = questions
    .map((q) => `${q.question}${q.options.length ? ` (${q.options.map((o) => o.label).join(" / ")})` : ""}`)
    .join("; ");
  return {
    type: "question",
    content: oneLine(`OpenCode asks: ${asked || "a question"}`),
    metadata: { id, sessionId, questions, ...from(subagent) },
  };
}

function normaliseQuestion(q: unknown): Question {
  const options = (Array.isArray((q as { options?: unknown })?.options) ? (q as { options: unknown[] }).options : []).map((o) => ({
    label: str(o, "label") ?? "",
    description: str(o, "description") ?? "",
  }));
  return {
    question: str(q, "question") ?? "",
    header: str(q, "header") ?? "",
    options,
    multiple: (q as { multiple?: unknown })?.multiple === true,
  };
}

/** `todo.updated`: the whole list as it stands. */
export function todoEvent(p: Record<string, unknown>, subagent: SubagentRef | undefined): TodoEvent {
  const todos: Todo[] = (Array.isArray(p.todos) ? p.todos : []).map((t) => ({
    content: str(t, "content") ?? "",
    status: str(t, "status") ?? "pending",
    priority: str(t, "priority") ?? "",
  }));
  const done = todos.filter((t) => t.status === "completed").length;
  const now = todos.find((t) => t.status === "in_progress");
  return {
    type: "todo",
    content: oneLine(`Todo list: ${done} of ${todos.length} done${now ? `; now: ${now.content}` : ""}`),
    metadata: { todos, ...from(subagent) },
  };
}

/** The files the turn changed, once, before `done`. */
export function filesChangedEvent(files: ChangedFile[]): FilesChangedEvent {
  const sum = (key: "additions" | "deletions") => files.reduce((n, f) => n + f[key], 0);
  const names = files.map((f) => f.path).join(", ");
  return {
    type: "files_changed",
    content: oneLine(`${files.length} file${files.length === 1 ? "" : "s"} changed (+${sum("additions")} −${sum("deletions")}): ${names}`),
    metadata: { files },
  };
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** An error the server reported for the run (a message's `error`, `session.error`). */
export function serverErrorEvent(error: OcError, subagent: SubagentRef | undefined): ErrorEvent {
  const { code, text } = describeError(error);
  return errorEvent(code, text, {
    name: error.name,
    ...(typeof error.data?.statusCode === "number" ? { statusCode: error.data.statusCode } : {}),
    ...from(subagent),
  });
}

export function usageOf(info: OcMessageInfo): TokenUsage {
  const t = info.tokens ?? {};
  return {
    input: t.input ?? 0,
    output: t.output ?? 0,
    reasoning: t.reasoning ?? 0,
    cacheRead: t.cache?.read ?? 0,
    cacheWrite: t.cache?.write ?? 0,
    cost: info.cost ?? 0,
  };
}

export function tokenUsageEvent(usage: TokenUsage, messageId: string, subagent: SubagentRef | undefined): TokenUsageEvent {
  return { type: "token_usage", content: "", metadata: { ...usage, messageId, ...from(subagent) } };
}

/** The server cuts a long bash output in `output`; the whole text is then in `metadata.output`. */
function wholeOutput(s: { output?: string; metadata?: Record<string, unknown> }): string {
  const output = s.output ?? "";
  const full = s.metadata?.output;
  return typeof full === "string" && full.length > output.length ? full : output;
}

/** A tool's input in a few words: its main argument, else the whole input as JSON, on one line. */
function summarizeToolInput(input: Record<string, unknown>): string {
  const main = ["command", "filePath", "path", "pattern", "url", "description", "prompt"]
    .map((k) => input[k])
    .find((v): v is string => typeof v === "string");
  const text = main ?? (Object.keys(input).length ? JSON.stringify(input) : "");
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

/** A server message without the stack trace some errors carry (lines of "    at …", its own source paths). */
function withoutStack(message: string): string {
  const at = message.search(/\n\s+at /);
  return at === -1 ? message : message.slice(0, at);
}

function describeError(error: OcError): { code: ErrorCode; text: string } {
  const message = withoutStack(error.data?.message ?? "");
  const status = error.data?.statusCode;
  // 1.18.33 fails a prompt whose image it cannot decode, before storing it, as an UnknownError.
  if (/^ImageDecodeError\b/.test(message)) {
    return {
      code: "bad_request",
      text: "OpenCode could not decode an attached image, so the message was not sent: is the file a whole, valid PNG, JPEG, GIF or WebP?",
    };
  }
  switch (error.name) {
    case "APIError":
      return {
        code: "provider",
        text: `The model provider failed${status ? ` (HTTP ${status})` : ""}: ${message || "no details"}. Check the provider's status and the model configured on the OpenCode server.`,
      };
    case "ProviderAuthError":
      return {
        code: "provider_auth",
        text: `The model provider refused OpenCode's credentials: ${message}. Run \`opencode auth login\` on the server.`,
      };
    case "MessageOutputLengthError":
      return { code: "output_length", text: "The model's answer hit its output length limit and was cut off." };
    case "ContextOverflowError":
      return {
        code: "context_overflow",
        text: `The conversation no longer fits the model's context: ${message}. Start a new conversation.`,
      };
    case "MessageAbortedError":
      return { code: "aborted", text: "The run was stopped on the OpenCode server." };
    default:
      return { code: "session", text: `OpenCode reported ${error.name}${message ? `: ${message}` : ""}.` };
  }
}
