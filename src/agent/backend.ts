import type { AgentEvent, PermissionReply } from "./events.js";

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

export interface RunOptions {
  /** The conversation: "cli:default", "web:<id>", "telegram:<chat>"… Defaults to "cli:default". */
  sessionKey?: string;
  systemPrompt?: string;
  /** "provider/model"; overrides the configured model for this run. */
  model?: string;
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
  status(): BackendStatus;
  /** Releases connections; runs still going are stopped. */
  close(): Promise<void>;
}

export const DEFAULT_SESSION_KEY = "cli:default";
