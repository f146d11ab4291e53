import type { ConversationRecord } from "../sessions/store.js";
import type { AgentEvent, ErrorCode, PermissionReply, QuestionAnswer } from "./events.js";

/** The capability badges PocketPaw's dashboard shows for a backend. */
export type Capability = "streaming" | "tools" | "mcp" | "multi_turn" | "custom_system_prompt";

export interface BackendInfo {
  /** Registry name, the value of POCKETPAW_AGENT_BACKEND. */
  name: string;
  displayName: string;
  status: "production" | "beta";
  capabilities: Capability[];
  builtinTools: string;
  requiredKeys: string[];
  localModels: string | null;
  providers: string;
  installHint: string;
  beta: boolean;
  /** Whether this build of pocketpaw implements it. */
  available: boolean;
}

/** A file handed to the agent with a message (text or image). */
export interface Attachment {
  /** The file's name as the agent sees it ("notes.md"). */
  name: string;
  /** "text/plain", "image/png", … */
  mime: string;
  /** The file's bytes. */
  data: Uint8Array;
}

/** The largest attachment pocketpaw sends: bigger files are refused before anything is sent. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export interface RunOptions {
  /** The conversation: "cli:default", "web:<id>", "telegram:<chat>"… Defaults to "cli:default". */
  sessionKey?: string;
  systemPrompt?: string;
  /** "provider/model"; overrides the configured model for this run. */
  model?: string;
  /**
   * The agent that answers ("build", "plan", a custom one); default: the conversation's last, else
   * the server's default. Remembered for the conversation. Unknown ones end the run with `bad_request`.
   */
  agent?: string;
  /** Files attached to the message. */
  files?: Attachment[];
  /**
   * Run one of the server's commands (`init`, `review`, custom ones) with the message as its
   * arguments, instead of sending the message as a prompt. Unknown ones end the run with `bad_request`.
   */
  command?: string;
  /** Model steps allowed in this run; 0 = unlimited. Overrides the configured limit. */
  maxTurns?: number;
  /** Aborting stops the run on the server, like stop(sessionKey). */
  signal?: AbortSignal;
}

export interface RunStatus {
  sessionKey: string;
  sessionId: string;
  startedAt: number;
  turns: number;
}

export interface BackendStatus {
  backend: string;
  serverUrl: string;
  serverVersion?: string;
  eventStreamConnected: boolean;
  activeRuns: RunStatus[];
}

export interface AgentBackend {
  info(): BackendInfo;
  /**
   * One turn of a conversation. Operational failures (server down, provider error, …) arrive
   * as an `error` event; `done` is always the last event.
   */
  run(message: string, options?: RunOptions): AsyncIterable<AgentEvent>;
  /** Stops the conversation's current run on the server; false when none was running. */
  stop(sessionKey: string): Promise<boolean>;
  replyPermission(id: string, reply: PermissionReply, message?: string): Promise<void>;
  /** Answers a `question` event (one list of chosen labels or typed text per question), or refuses it. */
  replyQuestion(id: string, answer: QuestionAnswer): Promise<void>;
  status(): BackendStatus;
  /** Releases connections; runs still going are stopped. */
  close(): Promise<void>;
}

export const DEFAULT_SESSION_KEY = "cli:default";

/** Where a backend's conversations live: they are remembered per server and project directory. */
export interface Place {
  /** The server's URL as shown to people (no credentials). */
  serverUrl: string;
  /** The project directory on the server; "" = the server's own working directory. */
  directory: string;
}

/** A model the server offers, as `provider/model`. */
export interface ModelInfo {
  id: string;
  name: string;
  provider: string;
}

export interface ModelCatalog {
  models: ModelInfo[];
  /** The server's default model per provider id. */
  defaults: Record<string, string>;
}

/** An agent of the server; `primary` ones can be chosen for a conversation, subagents are called by them. */
export interface AgentInfo {
  name: string;
  description: string;
  mode: "primary" | "subagent" | "all";
  /** Built into the server (build, plan, …) rather than configured. */
  builtIn: boolean;
}

/** A command of the server (`/init`, `/review`, custom ones from its configuration). */
export interface CommandInfo {
  name: string;
  description: string;
}

/** Whether pocketpaw drives a server release (see the backend's version table). */
export interface VersionSupport {
  status: "tested" | "supported" | "newer" | "too_old" | "unknown";
  /** Whether pocketpaw runs turns on this server. */
  usable: boolean;
  /** One sentence for people. */
  summary: string;
}

/** The server, checked now: it answers, it is what the backend drives, and which release it is. */
export interface ServerHealth {
  url: string;
  version: string;
  /** How turns stream: the server's event stream, or the seed's NDJSON answer. */
  protocol: "events" | "ndjson";
  support: VersionSupport;
}

/** One exchange of a stored conversation: what the person wrote, and the run it started. */
export interface TranscriptTurn {
  /** The user message's id on the server. */
  id: string;
  text: string;
  /** When it was sent (ms since the epoch), when the server says. */
  at?: number;
  events: AgentEvent[];
  /** Model steps of the run. */
  steps: number;
}

export interface Transcript {
  conversation: ConversationRecord;
  turns: TranscriptTurn[];
  /** The server's own stored messages, unchanged (for `--json`). */
  raw: unknown[];
}

/** One line of `pocketpaw doctor`: a check between this machine and a working turn. */
export interface Check {
  name: string;
  status: "ok" | "warn" | "fail" | "skip";
  detail: string;
  /** What to do about a failure or warning. */
  fix?: string;
  /** What kind of failure this is (fronts map it to an exit code); absent = the turn would fail. */
  code?: ErrorCode;
}

export type ForgetOutcome =
  /** Forgotten here; the server's session stays. */
  | "kept"
  /** Forgotten here and deleted on the server. */
  | "deleted"
  /** Forgotten here; the server no longer had the session. */
  | "gone";

/**
 * What fronts need besides runs: the conversations this backend remembers, and the server
 * behind it. The backend is the only writer of its conversation store.
 */
export interface ConversationManager {
  readonly place: Place;
  /** Newest first; `everywhere` lists every server's and directory's, not just this place's. */
  list(options?: { everywhere?: boolean }): ConversationRecord[];
  get(key: string): ConversationRecord | undefined;
  /** Throws UnknownConversationError. */
  rename(key: string, title: string): ConversationRecord;
  /** The model the conversation's next turns use ("" = the server's default); remembered if the conversation exists. */
  setModel(key: string, model: string): void;
  /** The agent the conversation's next turns use ("" = the server's default); remembered if the conversation exists. */
  setAgent(key: string, agent: string): void;
  /** Throws UnknownConversationError; BackendError (code `session`) when the server no longer has it. */
  transcript(key: string): Promise<Transcript>;
  /**
   * Forgets the conversation here (and with `deleteRemote` its session on the server; when that
   * fails it stays remembered and the BackendError is thrown). Throws UnknownConversationError.
   */
  forget(key: string, options?: { deleteRemote?: boolean }): Promise<ForgetOutcome>;
  /** Stops whatever the server still runs in the conversation (even a run another client started). */
  stopRemote(key: string): Promise<"stopped" | "idle" | "no_session">;
  models(): Promise<ModelCatalog>;
  /** The server's agents (all of them; fronts offer the primary ones). */
  agents(): Promise<AgentInfo[]>;
  /** The server's commands. */
  commands(): Promise<CommandInfo[]>;
  /** The unified diff of what the conversation's last turn (or `all` turns) changed; "" when nothing. */
  diff(key: string, options?: { all?: boolean }): Promise<string>;
  /** Reverts the conversation's last turn on the server, files included; false when there is nothing to undo. */
  undo(key: string): Promise<boolean>;
  /** Restores what undo reverted; false when there is nothing to redo. */
  redo(key: string): Promise<boolean>;
  /** Continues a copy of the conversation under `newKey` (which must not exist yet). */
  fork(key: string, newKey: string): Promise<ConversationRecord>;
  /** Summarises the conversation on the server so that it takes less context. */
  compact(key: string): Promise<void>;
  /** Why `model` ("provider/model") cannot be used on this server, or undefined when it can. */
  checkModel(model: string): Promise<string | undefined>;
  /** The server, checked now; throws BackendError. */
  health(): Promise<ServerHealth>;
  /** The checks `pocketpaw doctor` shows for the server, in order, later ones skipped after a failure. */
  diagnose(): Promise<Check[]>;
}

/** What every front holds: runs and conversations. */
export interface Backend extends AgentBackend, ConversationManager {}

/** A conversation's title from its first message. */
export function titleFor(message: string): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line || "pocketpaw conversation";
}
