/**
 * The parts of OpenCode's wire format this client reads, typed loosely on purpose.
 *
 * The official SDK's generated types describe one server release exactly; servers people run
 * span 1.2 to 1.18 and add fields and event types with every release. So every field here that
 * some release lacks is optional, unknown events stay `OcEvent` with an unknown `type`, and the
 * translator checks what it reads instead of trusting a schema.
 */

export interface OcEvent {
  /** `evt_…` on 1.14 and later; absent on 1.2. Never relied on. */
  id?: string;
  type: string;
  properties: Record<string, unknown>;
}

export interface OcTime {
  created?: number;
  completed?: number;
  start?: number;
  end?: number;
}

export interface OcError {
  name: string;
  data?: { message?: string; statusCode?: number; isRetryable?: boolean; [k: string]: unknown };
}

export interface OcTokens {
  input?: number;
  output?: number;
  reasoning?: number;
  cache?: { read?: number; write?: number };
}

export interface OcMessageInfo {
  id: string;
  sessionID: string;
  role: "user" | "assistant" | string;
  parentID?: string;
  time?: OcTime;
  error?: OcError;
  tokens?: OcTokens;
  cost?: number;
  finish?: string;
  modelID?: string;
  providerID?: string;
  /** Assistant messages: the project directory the step ran in. */
  path?: { cwd?: string; root?: string };
  /** User messages: what the turn changed (git projects; `[]` elsewhere). */
  summary?: { diffs?: OcFileDiff[] } | boolean;
}

export interface OcToolState {
  status: "pending" | "running" | "completed" | "error" | string;
  input?: Record<string, unknown>;
  output?: string;
  error?: string;
  title?: string;
  metadata?: Record<string, unknown>;
}

export interface OcPart {
  id: string;
  messageID: string;
  sessionID: string;
  type: string;
  text?: string;
  time?: OcTime;
  tool?: string;
  callID?: string;
  state?: OcToolState;
}

export interface OcMessage {
  info: OcMessageInfo;
  parts: OcPart[];
}

export interface OcSession {
  id: string;
  title?: string;
  parentID?: string;
  directory?: string;
  version?: string;
  /** Set while an undo (revert) is staged: the user message from which on messages are hidden. */
  revert?: { messageID: string };
}

/**
 * One file a turn changed, as the server's diff has it: `patch` (a unified diff) since 1.14,
 * `before`/`after` (the whole texts) on 1.2. `file` is relative to the project's worktree.
 */
export interface OcFileDiff {
  file?: string;
  patch?: string;
  before?: string;
  after?: string;
  additions?: number;
  deletions?: number;
  status?: "added" | "deleted" | "modified" | string;
}

/** `GET /agent`; `native` = built into the server. */
export interface OcAgent {
  name: string;
  description?: string;
  mode?: "primary" | "subagent" | "all" | string;
  native?: boolean;
  /** Internal agents (compaction, title, summary): never chosen by people. */
  hidden?: boolean | null;
}

/** `GET /command`. */
export interface OcCommand {
  name: string;
  description?: string;
  source?: string;
}

/** `question.asked`'s properties, and an entry of `GET /question`. */
export interface OcQuestionRequest {
  id: string;
  sessionID: string;
  questions?: unknown[];
  tool?: { messageID?: string; callID?: string };
}

export interface OcHealth {
  healthy: boolean;
  version: string;
}

export interface OcModelRef {
  providerID: string;
  modelID: string;
}

/** A file attached to a prompt or command: its bytes inline as a `data:` URL. */
export interface OcFilePartInput {
  type: "file";
  mime: string;
  filename: string;
  url: string;
}

export interface OcPromptBody {
  parts: Array<{ type: "text"; text: string } | OcFilePartInput>;
  messageID?: string;
  model?: OcModelRef;
  agent?: string;
  system?: string;
  tools?: Record<string, boolean>;
}

/** `POST /session/{id}/command`: `model` is "provider/model" here, a string (unlike the prompt's). */
export interface OcCommandBody {
  command: string;
  arguments: string;
  messageID?: string;
  agent?: string;
  model?: string;
  parts?: OcFilePartInput[];
}

/** `GET /config/providers`; `default` maps a provider id to its default model id. */
export interface OcProviders {
  providers: Array<{ id: string; name?: string; models?: Record<string, { id?: string; name?: string }> }>;
  default?: Record<string, string>;
}

export interface OcPermissionRule {
  permission: string;
  pattern: string;
  action: "allow" | "ask" | "deny";
}

/** Reads a string field of an unknown object, or undefined. */
export function str(o: unknown, key: string): string | undefined {
  if (typeof o !== "object" || o === null) return undefined;
  const v = (o as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

export function obj(o: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof o !== "object" || o === null) return undefined;
  const v = (o as Record<string, unknown>)[key];
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The session an event concerns, wherever this event type keeps it. */
export function eventSessionId(event: OcEvent): string | undefined {
  const p = event.properties;
  // Read directly first: this runs for every event, and most carry `sessionID` at the top.
  const direct = p?.sessionID;
  if (typeof direct === "string") return direct;
  return str(obj(p, "info"), "sessionID") ?? str(obj(p, "part"), "sessionID");
}

/** A stored message as the events that would have announced it. */
export function messageEvents(m: OcMessage): OcEvent[] {
  const sessionID = m.info.sessionID;
  return [
    { type: "message.updated", properties: { sessionID, info: m.info } },
    ...(m.parts ?? []).map((part) => ({ type: "message.part.updated", properties: { sessionID, part } })),
  ];
}
