/**
 * AgentEvent: the one stream every backend yields and every front end renders.
 *
 * PocketPaw's event is `{type, content, metadata}`; here each type carries its own metadata
 * shape, so a renderer's `switch (event.type)` knows exactly what it holds. Every event is plain
 * JSON (no classes, no undefined-only fields that matter), so it can go over NDJSON or SSE as is.
 */

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
  { name: string; input: Record<string, unknown>; callId: string; title?: string } & FromAgent
>;
export type ToolResultEvent = Base<
  "tool_result",
  { name: string; callId: string; isError: boolean; title?: string } & FromAgent
>;
export interface TokenUsage {
  input: number;
  output: number;
  reasoning: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
}
export type TokenUsageEvent = Base<"token_usage", TokenUsage & { messageId: string } & FromAgent>;
export type PermissionReply = "once" | "always" | "reject";
export type PermissionRequestEvent = Base<
  "permission_request",
  { id: string; permission: string; patterns: string[]; always: string[]; sessionId: string } & FromAgent
>;

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

/**
 * Why a run failed. Front ends choose exit codes and wording from this, never from the text.
 * - unreachable / auth / not_opencode / unsupported_version: the server could not be used at all
 * - provider / provider_auth / output_length / context_overflow: the model failed on the server
 * - aborted: someone else stopped the run on the server
 * - max_turns: the configured turn limit was reached and the run was stopped
 * - session / protocol / timeout / unknown: everything else
 */
export type ErrorCode =
  | "unreachable"
  | "auth"
  | "not_opencode"
  | "unsupported_version"
  | "provider"
  | "provider_auth"
  | "output_length"
  | "context_overflow"
  | "aborted"
  | "max_turns"
  | "session"
  | "protocol"
  | "timeout"
  | "bad_request"
  | "unknown";

export type ErrorEvent = Base<"error", { code: ErrorCode; name?: string; statusCode?: number } & FromAgent>;

export type DoneReason = "completed" | "stopped" | "error" | "max_turns";
export type DoneEvent = Base<
  "done",
  { reason: DoneReason; stopped: boolean; sessionId?: string; usage: TokenUsage; turns: number }
>;

export type AgentEvent =
  | MessageEvent
  | ThinkingEvent
  | ThinkingDoneEvent
  | ToolUseEvent
  | ToolResultEvent
  | TokenUsageEvent
  | PermissionRequestEvent
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
