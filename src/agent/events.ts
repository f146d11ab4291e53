/**
 * AgentEvent: the one stream every backend yields and every front end renders.
 *
 * PocketPaw's event is `{type, content, metadata}`; here each type carries its own metadata
 * shape, so a renderer's `switch (event.type)` knows exactly what it holds. Every event is plain
 * JSON (no classes, no undefined-only fields that matter), so it can go over NDJSON or SSE as is.
 *
 * The `as const` lists below are the one source of truth for event types, error codes,
 * permission replies and done reasons: the TypeScript types, the HTTP API's zod schemas, its
 * OpenAPI document and the CLI's choices are all derived from them.
 */

export const AGENT_EVENT_TYPES = [
  "message",
  "thinking",
  "thinking_done",
  "tool_use",
  "tool_result",
  "token_usage",
  "permission_request",
  "question",
  "todo",
  "files_changed",
  "status",
  "error",
  "done",
] as const;

/**
 * Why a run failed. Front ends choose exit codes and wording from this, never from the text.
 * - unreachable / auth / not_opencode / unsupported_version: the server could not be used at all
 * - provider / provider_auth / output_length / context_overflow: the model failed on the server
 * - aborted: someone else stopped the run on the server
 * - max_turns: the configured turn limit was reached and the run was stopped
 * - bad_request: the request itself was wrong (a malformed model name, an unknown agent or command, a file too large, …)
 * - unsupported: the server's release lacks the feature asked for
 * - stalled: the server accepted the prompt but never started working on it
 * - not_found: the server has no such thing (a permission request already answered, a session)
 * - session / protocol / timeout / unknown: everything else
 */
export const ERROR_CODES = [
  "unreachable",
  "auth",
  "not_opencode",
  "unsupported_version",
  "provider",
  "provider_auth",
  "output_length",
  "context_overflow",
  "aborted",
  "max_turns",
  "session",
  "protocol",
  "timeout",
  "bad_request",
  "not_found",
  "unsupported",
  "stalled",
  "unknown",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Answers to a permission request: allow this once, allow the pattern from now on, refuse. */
export const PERMISSION_REPLIES = ["once", "always", "reject"] as const;
export type PermissionReply = (typeof PERMISSION_REPLIES)[number];

/** How a run ended. */
export const DONE_REASONS = ["completed", "stopped", "error", "max_turns"] as const;
export type DoneReason = (typeof DONE_REASONS)[number];

/** Where an event came from when a subagent (OpenCode's `task` tool) produced it. */
export interface SubagentRef {
  /** The child OpenCode session the subagent works in. */
  sessionId: string;
}

interface Base<T extends string, M> {
  type: T;
  content: string;
  metadata: M;
}

/** Marks work done by a subagent; absent for the conversation's own agent. */
interface FromAgent {
  subagent?: SubagentRef;
}

export type MessageEvent = Base<"message", { partId: string; messageId: string }>;
export type ThinkingEvent = Base<"thinking", { partId: string; messageId: string } & FromAgent>;
export type ThinkingDoneEvent = Base<"thinking_done", { partId: string; messageId: string } & FromAgent>;
export type ToolUseEvent = Base<
  "tool_use",
  {
    name: string;
    input: Record<string, unknown>;
    callId: string;
    title?: string;
    /** The input in a few words for one line ("ls -la", "src/a.ts"); content is `name summary`. */
    summary: string;
  } & FromAgent
>;
export type ToolResultEvent = Base<"tool_result", { name: string; callId: string; isError: boolean; title?: string } & FromAgent>;
export interface TokenUsage {
  input: number;
  output: number;
  reasoning: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
}
export type TokenUsageEvent = Base<"token_usage", TokenUsage & { messageId: string } & FromAgent>;
export type PermissionRequestEvent = Base<
  "permission_request",
  { id: string; permission: string; patterns: string[]; always: string[]; sessionId: string } & FromAgent
>;

/** One question the agent asks (OpenCode's `question` tool); the person picks options or types an answer. */
export interface Question {
  question: string;
  /** A short label for the question ("Colour"). */
  header: string;
  options: Array<{ label: string; description: string }>;
  /** Several options may be chosen. */
  multiple: boolean;
}
/** The agent asks; answer with `replyQuestion(id, answers)`: one list of labels (or typed text) per question. */
export type QuestionEvent = Base<"question", { id: string; sessionId: string; questions: Question[] } & FromAgent>;
/** The answers to a question event, one list per question, or a refusal. */
export type QuestionAnswer = string[][] | "reject";

export const TODO_STATUSES = ["pending", "in_progress", "completed", "cancelled"] as const;
export interface Todo {
  content: string;
  /** One of TODO_STATUSES as the server says; kept as given when it says something else. */
  status: string;
  priority: string;
}
/** The agent's todo list changed; the whole list as it stands now. */
export type TodoEvent = Base<"todo", { todos: Todo[] } & FromAgent>;

export interface ChangedFile {
  /** Relative to the project directory when inside it. */
  path: string;
  additions: number;
  deletions: number;
}
/** The files the turn changed, once, before `done` (only when it changed any). */
export type FilesChangedEvent = Base<"files_changed", { files: ChangedFile[] }>;

/** What the run is doing when it is not producing output. */
export type StatusMetadata =
  | { state: "busy" }
  | { state: "retrying"; attempt: number; nextAt?: number; message: string }
  | { state: "session_created"; sessionId: string }
  | { state: "session_replaced"; sessionId: string; previousSessionId: string }
  | { state: "reconnecting"; reason: string }
  | { state: "resynced"; sessionId: string }
  | { state: "stopping" };
export type StatusEvent = Base<"status", StatusMetadata>;

export type ErrorEvent = Base<"error", { code: ErrorCode; name?: string; statusCode?: number } & FromAgent>;

export type DoneEvent = Base<"done", { reason: DoneReason; stopped: boolean; sessionId?: string; usage: TokenUsage; turns: number }>;

export type AgentEvent =
  | MessageEvent
  | ThinkingEvent
  | ThinkingDoneEvent
  | ToolUseEvent
  | ToolResultEvent
  | TokenUsageEvent
  | PermissionRequestEvent
  | QuestionEvent
  | TodoEvent
  | FilesChangedEvent
  | StatusEvent
  | ErrorEvent
  | DoneEvent;

export type AgentEventType = AgentEvent["type"];

export function emptyUsage(): TokenUsage {
  return { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0, cost: 0 };
}

export function addUsage(total: TokenUsage, more: TokenUsage): TokenUsage {
  return {
    input: total.input + more.input,
    output: total.output + more.output,
    reasoning: total.reasoning + more.reasoning,
    cacheRead: total.cacheRead + more.cacheRead,
    cacheWrite: total.cacheWrite + more.cacheWrite,
    cost: total.cost + more.cost,
  };
}

// The list and the union must name the same types: either one missing a type fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const eventTypesMatch: Same<AgentEventType, (typeof AGENT_EVENT_TYPES)[number]> = true;
void eventTypesMatch;

/** The one way an `error` event is built. */
export function errorEvent(code: ErrorCode, content: string, extra: Omit<ErrorEvent["metadata"], "code"> = {}): ErrorEvent {
  return { type: "error", content, metadata: { code, ...extra } };
}

/** What a `done` event reports. */
export interface RunEnd {
  stopped: boolean;
  failed: boolean;
  maxTurnsHit?: boolean;
  sessionId?: string;
  usage?: TokenUsage;
  turns?: number;
}

/** The one way a `done` event is built: the reason follows from how the run ended. */
export function doneEvent(end: RunEnd): DoneEvent {
  const reason: DoneReason = end.maxTurnsHit ? "max_turns" : end.stopped ? "stopped" : end.failed ? "error" : "completed";
  return {
    type: "done",
    content: "",
    metadata: {
      reason,
      stopped: end.stopped,
      ...(end.sessionId ? { sessionId: end.sessionId } : {}),
      usage: end.usage ?? emptyUsage(),
      turns: end.turns ?? 0,
    },
  };
}
