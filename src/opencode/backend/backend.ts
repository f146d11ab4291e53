import {
  type AgentInfo,
  type Backend,
  type BackendInfo,
  type BackendStatus,
  type Check,
  type CommandInfo,
  DEFAULT_SESSION_KEY,
  type ForgetOutcome,
  type ModelCatalog,
  type Place,
  type RunOptions,
  type ServerHealth,
  type Transcript,
} from "../../agent/backend.js";
import { BackendError } from "../../agent/errors.js";
import type { AgentEvent, PermissionReply, QuestionAnswer } from "../../agent/events.js";
import { BACKENDS } from "../../agent/registry.js";
import { type ConversationRecord, MemorySessionStore, type SessionStore } from "../../sessions/store.js";
import { abortable } from "../../util/abortable.js";
import { flatten } from "../../util/flatten.js";
import { EventHub, type EventHubOptions } from "../events/event-hub.js";
import { OpenCodeClient } from "../rest/client.js";
import type { OcPermissionRule } from "../rest/wire.js";
import { needsRoute, ServerCatalog } from "./catalog.js";
import { OpenCodeConversations } from "./conversations.js";
import { detectServer } from "./detect.js";
import { diagnose } from "./diagnose.js";
import { followEvents, type LiveOptions } from "./follow-events.js";
import { followNdjson } from "./follow-ndjson.js";
import { ConversationHistory } from "./history.js";
import { KeyedLock } from "./keyed-lock.js";
import { RunState, type Turn } from "./run-state.js";
import type { ServerProfile } from "./server-profile.js";
import { ConversationSessions, type NewTurn, SessionGoneError } from "./sessions.js";
import { commandName, turnRequest } from "./turn-request.js";

export interface OpenCodeBackendOptions {
  baseUrl: string;
  username?: string;
  password?: string;
  directory?: string;
  /** "provider/model"; "" = the server's default. */
  model?: string;
  /** Model steps per run; 0 = unlimited. */
  maxTurns?: number;
  timeoutMs?: number;
  store?: SessionStore;
  /** Permission rules for the sessions this backend creates (e.g. ask before bash). */
  permission?: OcPermissionRule[];
  events?: EventHubOptions;
  /** After the session went idle without the run looking complete, wait this long, then read storage. */
  settleMs?: number;
  /** How long a run waits for a lost event stream to come back before it fails. */
  reconnectTimeoutMs?: number;
  /** How long a stopped run waits for the server to confirm before it ends anyway. */
  stopTimeoutMs?: number;
  /** How long a sent prompt may go without any sign from the server before the run checks whether it started (else: `stalled`). */
  stallMs?: number;
  fetch?: typeof fetch;
  /** Where the model setting came from ("env", "default", …), for `doctor`. */
  modelSource?: string;
}

interface ActiveRun {
  run: RunState;
  stop(): void;
}

/**
 * The OpenCode backend: one OpenCode session per conversation (sessions.ts), prompts sent with
 * `prompt_async` and the turn followed live on the shared event stream (follow-events.ts), or
 * on the seed's NDJSON answer (follow-ndjson.ts), translated to AgentEvents.
 */
export class OpenCodeBackend implements Backend {
  readonly client: OpenCodeClient;
  private readonly hub: EventHub;
  private readonly store: SessionStore;
  private readonly options: OpenCodeBackendOptions;
  private readonly live: LiveOptions;
  private readonly conversations: OpenCodeConversations;
  private readonly sessions: ConversationSessions;
  private readonly catalog: ServerCatalog;
  private readonly history: ConversationHistory;
  /** Runs of one conversation go one after the other (and undo, redo, fork and compact between them). */
  private readonly locks = new KeyedLock();
  private readonly active = new Map<string, ActiveRun>();
  private profile: ServerProfile | undefined;

  constructor(options: OpenCodeBackendOptions) {
    this.options = options;
    this.client = new OpenCodeClient(options);
    this.hub = new EventHub(this.client, options.events);
    this.store = options.store ?? new MemorySessionStore();
    this.conversations = new OpenCodeConversations(this.client, this.store);
    this.sessions = new ConversationSessions(this.client, this.store, options.permission);
    this.catalog = new ServerCatalog(this.client);
    this.history = new ConversationHistory(this.client, this.store, this.conversations, options.model ?? "");
    this.live = {
      settleMs: options.settleMs ?? 1_000,
      reconnectTimeoutMs: options.reconnectTimeoutMs ?? 60_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      stallMs: options.stallMs ?? 20_000,
    };
  }

  get place(): Place {
    return this.conversations.place;
  }

  list(options?: { everywhere?: boolean }): ConversationRecord[] {
    return this.conversations.list(options);
  }

  get(key: string): ConversationRecord | undefined {
    return this.conversations.get(key);
  }

  rename(key: string, title: string): ConversationRecord {
    return this.conversations.rename(key, title);
  }

  setModel(key: string, model: string): void {
    this.conversations.setModel(key, model);
  }

  setAgent(key: string, agent: string): void {
    this.conversations.setAgent(key, agent);
  }

  agents(): Promise<AgentInfo[]> {
    return this.catalog.agents();
  }

  commands(): Promise<CommandInfo[]> {
    return this.catalog.commands();
  }

  diff(key: string, options: { all?: boolean } = {}): Promise<string> {
    return this.history.diff(key, options.all ?? false);
  }

  undo(key: string): Promise<boolean> {
    return this.between(key, () => this.history.undo(key));
  }

  redo(key: string): Promise<boolean> {
    return this.between(key, () => this.history.redo(key));
  }

  fork(key: string, newKey: string): Promise<ConversationRecord> {
    return this.between(key, () => this.history.fork(key, newKey));
  }

  compact(key: string): Promise<void> {
    return this.between(key, () => this.history.compact(key));
  }

  /** Work on a conversation's past, between its runs: refused while one runs here, and no run starts meanwhile. */
  private async between<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (this.active.has(key))
      throw new BackendError("session", `A turn of ${key} is running; stop it or wait until it ends, then try again.`);
    const release = await this.locks.acquire(key);
    try {
      return await work();
    } finally {
      release();
    }
  }

  transcript(key: string): Promise<Transcript> {
    return this.conversations.transcript(key);
  }

  forget(key: string, options?: { deleteRemote?: boolean }): Promise<ForgetOutcome> {
    return this.conversations.forget(key, options);
  }

  stopRemote(key: string): Promise<"stopped" | "idle" | "no_session"> {
    return this.conversations.stopRemote(key);
  }

  models(): Promise<ModelCatalog> {
    return this.conversations.models();
  }

  checkModel(model: string): Promise<string | undefined> {
    return this.conversations.checkModel(model);
  }

  async health(): Promise<ServerHealth> {
    const { version, protocol, support } = await this.checkServer();
    return { url: this.client.displayUrl, version, protocol, support };
  }

  diagnose(): Promise<Check[]> {
    return diagnose(this.client, () => this.checkServer(), {
      ...this.options,
      model: this.options.model ?? "",
      modelSource: this.options.modelSource ?? "default",
      username: this.options.username || "opencode",
    });
  }

  info(): BackendInfo {
    return BACKENDS.opencode;
  }

  /** The server's health and version, checked now (detect.ts); throws OpenCodeError. */
  async checkServer(): Promise<ServerProfile> {
    this.profile = await detectServer(this.client);
    return this.profile;
  }

  /** The health check before a run; an open event stream counts as fresh. */
  private async ensureServer(): Promise<ServerProfile> {
    if (this.profile && this.hub.connected) return this.profile;
    return this.checkServer();
  }

  run(message: string, options: RunOptions = {}): AsyncIterable<AgentEvent> {
    // The run goes in batches of events (follow-events.ts), handed out one by one.
    return flatten(this.runOnce(message, options));
  }

  /**
   * One turn: the conversation's lock, the server checked, its session, then the follower of the
   * server's protocol. Until the prompt is sent, stopping (the signal, or `stop`) simply ends the
   * run, at once, whatever it was waiting for.
   */
  private async *runOnce(message: string, options: RunOptions): AsyncGenerator<AgentEvent[]> {
    const key = options.sessionKey ?? DEFAULT_SESSION_KEY;
    const stopping = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stopping.signal]) : stopping.signal;
    const run = new RunState(key, options.maxTurns ?? this.options.maxTurns ?? 0);
    let release: (() => void) | undefined;
    let holding: (() => void) | undefined;
    // Work a stop cut short goes on (a session being created is still stored): the
    // conversation's next run waits for it, this one does not.
    let background: Promise<unknown> = Promise.resolve();
    const step = <T>(work: Promise<T>): Promise<T> => {
      background = work.catch(() => {});
      return abortable(work, signal);
    };
    try {
      release = await this.locks.acquire(key, signal);
      this.active.set(key, { run, stop: () => stopping.abort() });
      const scope = this.conversations.scope(key);
      const model = options.model ?? this.options.model ?? "";
      // A run without an agent goes on with the conversation's.
      const agent = options.agent ?? this.store.get(scope)?.agent ?? "";
      const command = commandName(options.command);
      // Checked before anything is sent: the model's form, the attachments.
      const request = turnRequest(message, { model, agent, command, systemPrompt: options.systemPrompt, files: options.files });
      const profile = await step(this.ensureServer());
      // The event stream opens while the session is looked up or created: the prompt then goes at once.
      if (profile.protocol === "events") holding = this.hub.hold();
      await step(this.catalog.checkAgent(agent));
      if (command) await step(this.catalog.checkCommand(command));
      const turn: NewTurn = { title: command ? `/${command} ${message}` : message, model, agent };
      let opened = await step(this.sessions.open(scope, turn, profile.quirks.refusesPromptToMissingSession));
      for (let replaced = false; ; replaced = true) {
        run.sessionId = opened.record.sessionId;
        if (opened.announce) yield [opened.announce];
        try {
          yield* this.follow(profile, { run, sessionId: opened.record.sessionId, after: opened.record.lastMessageId, request, signal });
          break;
        } catch (error) {
          // The server lost the session since it was looked up: the turn goes on in a new one (once).
          if (replaced || !(error instanceof SessionGoneError)) throw error;
          opened = await step(this.sessions.replace(scope, opened.record, turn));
        }
      }
      this.store.touch(scope, run.newestMessageId);
    } catch (error) {
      if (signal.aborted && error === signal.reason) run.stopped = true;
      else yield [run.fail(error)];
    } finally {
      holding?.();
      if (this.active.get(key)?.run === run) this.active.delete(key);
      if (release) void background.then(release);
    }
    yield [run.done()];
  }

  private follow(profile: ServerProfile, turn: Turn): AsyncGenerator<AgentEvent[]> {
    return profile.protocol === "events" ? followEvents(this.client, this.hub, this.live, turn) : followNdjson(this.client, turn);
  }

  async stop(sessionKey: string): Promise<boolean> {
    const run = this.active.get(sessionKey);
    if (!run) return false;
    run.stop();
    return true;
  }

  async replyPermission(id: string, reply: PermissionReply, message?: string): Promise<void> {
    await this.client.replyPermission(id, reply, message);
  }

  async replyQuestion(id: string, answer: QuestionAnswer): Promise<void> {
    if (answer === "reject") await needsRoute(this.client.rejectQuestion(id), "questions");
    else await needsRoute(this.client.replyQuestion(id, answer), "questions");
  }

  status(): BackendStatus {
    return {
      backend: "opencode",
      serverUrl: this.client.displayUrl,
      ...(this.profile ? { serverVersion: this.profile.version } : {}),
      eventStreamConnected: this.hub.connected,
      activeRuns: [...this.active.values()].filter((a) => a.run.sessionId).map((a) => a.run.status()),
    };
  }

  async close(): Promise<void> {
    for (const run of this.active.values()) run.stop();
    await this.hub.close();
    this.store.close();
  }
}
