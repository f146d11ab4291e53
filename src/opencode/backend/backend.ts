import {
  type Backend,
  type BackendInfo,
  type BackendStatus,
  type Check,
  DEFAULT_SESSION_KEY,
  type ForgetOutcome,
  type ModelCatalog,
  type Place,
  type RunOptions,
  type RunStatus,
  type ServerHealth,
  type Transcript,
} from "../../agent/backend.js";
import { type AgentEvent, type DoneReason, type ErrorCode, type PermissionReply, emptyUsage } from "../../agent/events.js";
import { BACKENDS } from "../../agent/registry.js";
import { parseModel } from "../../config/settings.js";
import { type ConversationRecord, type ConversationScope, MemorySessionStore, type SessionStore } from "../../sessions/store.js";
import { OpenCodeConversations } from "./conversations.js";
import { diagnose } from "./diagnose.js";
import { AsyncQueue } from "../../util/async-queue.js";
import { OpenCodeClient } from "../rest/client.js";
import { ApiError, NotOpenCodeError, OpenCodeError, TimeoutError, UnreachableError, UnsupportedVersionError } from "../rest/errors.js";
import { EventHub, type EventHubOptions, type HubSignal } from "../events/event-hub.js";
import { newMessageId } from "./message-id.js";
import { readNdjsonLines } from "../transport/ndjson.js";
import { NO_HEALTH_ROUTE, NO_HEALTH_ROUTE_VERSION, type ServerProfile, isOpenCodeApiDoc, profileFor } from "./server-profile.js";
import { TurnTranslator, messageEvents } from "../translate/translate.js";
import type { OcEvent, OcMessage, OcPermissionRule, OcPromptBody } from "../rest/wire.js";

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
  fetch?: typeof fetch;
  /** Where the model setting came from ("env", "default", …), for `doctor`. */
  modelSource?: string;
}

interface ActiveRun {
  status: RunStatus;
  stop(): void;
}

type Item = HubSignal | { kind: "tick" } | { kind: "stop" };

const TICK_MS = 100;
/** After a prompt call lost in transit: how often, and how far apart, storage is read for the prompt. */
const PROMPT_LOOKS = 4;
const PROMPT_LOOK_MS = 250;
/** How long a stopped run waits after idle for the server's final updates before it reads storage. */
const STOP_SETTLE_MS = 200;

/**
 * The OpenCode backend: one OpenCode session per conversation, prompts sent with
 * `prompt_async`, the turn followed live on the shared event stream and translated to
 * AgentEvents, resynced from storage after any gap.
 */
export class OpenCodeBackend implements Backend {
  readonly client: OpenCodeClient;
  private readonly hub: EventHub;
  private readonly store: SessionStore;
  private readonly options: OpenCodeBackendOptions;
  private readonly active = new Map<string, ActiveRun>();
  /** Runs of one conversation go one after the other. */
  private readonly locks = new Map<string, Promise<void>>();
  /** Sessions known to exist on the server in this process (checked once each). */
  private readonly verified = new Set<string>();
  private profile: ServerProfile | undefined;
  private readonly conversations: OpenCodeConversations;

  constructor(options: OpenCodeBackendOptions) {
    this.options = options;
    this.client = new OpenCodeClient(options);
    this.hub = new EventHub(this.client, options.events);
    this.store = options.store ?? new MemorySessionStore();
    this.conversations = new OpenCodeConversations(this.client, this.store);
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

  /**
   * The server's health and version, checked now: what it is (server-profile.ts). A release too
   * old to drive is refused here, with the advice to upgrade, before any session is created.
   */
  async checkServer(): Promise<ServerProfile> {
    let profile: ServerProfile;
    try {
      const health = await this.client.health();
      if (typeof health?.version !== "string") throw new NotOpenCodeError(this.client.displayUrl, "GET /global/health did not answer with a version");
      profile = profileFor(health.version, "events");
    } catch (error) {
      // A missing route answers 404, the web UI (HTML), or (1.0-1.2) a 500 `UnknownError`.
      const missing = error instanceof NotOpenCodeError || (error instanceof ApiError && (error.isNotFound || error.errorName === "UnknownError"));
      if (!missing) throw error;
      // OpenCode before 1.1 has no /global/health, but its OpenAPI document gives it away.
      const doc = await this.client.apiDoc().catch(() => undefined);
      if (isOpenCodeApiDoc(doc)) throw new UnsupportedVersionError(this.client.displayUrl, NO_HEALTH_ROUTE_VERSION, NO_HEALTH_ROUTE);
      // The seed documents the health check as `GET /` and the turn as an NDJSON stream: a
      // server that answers JSON there (and has no /global/health) speaks that protocol.
      const root = await this.client.rootHealth().catch(() => undefined);
      if (!root || typeof root !== "object" || Array.isArray(root)) throw error;
      profile = profileFor(typeof root.version === "string" ? root.version : "unknown", "ndjson");
    }
    if (!profile.support.usable) throw new UnsupportedVersionError(this.client.displayUrl, profile.version, profile.support.summary);
    this.profile = profile;
    return profile;
  }

  /** The health check before a request; an open event stream counts as fresh. */
  private async ensureServer(): Promise<ServerProfile> {
    if (this.profile && this.hub.connected) return this.profile;
    return this.checkServer();
  }

  run(message: string, options: RunOptions = {}): AsyncIterable<AgentEvent> {
    return this.runOnce(message, options);
  }

  /** Runs of one conversation go one after the other: waits for the previous one; returns the release. */
  private async lock(key: string): Promise<() => void> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.locks.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    };
  }

  private async *runOnce(message: string, options: RunOptions): AsyncGenerator<AgentEvent> {
    const key = options.sessionKey ?? DEFAULT_SESSION_KEY;
    const unlock = await this.lock(key);
    const run = new RunState();
    try {
      const modelText = options.model ?? this.options.model ?? "";
      const model = modelText ? parseModel(modelText) : undefined;
      if (modelText && !model) {
        throw new OpenCodeError("bad_request", `The model "${modelText}" is not valid: expected provider/model, e.g. anthropic/claude-sonnet-4.`);
      }
      const maxTurns = options.maxTurns ?? this.options.maxTurns ?? 0;
      const profile = await this.ensureServer();
      const scope = this.scope(key);
      const record = await this.sessionFor(scope, message, modelText);
      if (record.fresh) yield status({ state: "session_created", sessionId: record.sessionId }, `New OpenCode session ${record.sessionId}.`);
      else if (record.replaced) yield status({ state: "session_replaced", sessionId: record.sessionId, previousSessionId: record.replaced }, `The server no longer knew session ${record.replaced}; continuing in a new session ${record.sessionId}.`);
      run.sessionId = record.sessionId;
      const body = (messageID: string): OcPromptBody => ({
        parts: [{ type: "text", text: message }],
        messageID,
        ...(model ? { model } : {}),
        ...(options.systemPrompt ? { system: options.systemPrompt } : {}),
        // No `tools` here: the server turns a prompt's `tools` into the session's permission
        // rules, replacing the ruleset the session was created with (measured on 1.18.33).
      });
      const turn: Turn = { run, record, body, key, maxTurns, signal: options.signal };
      const events = profile.protocol === "events" ? this.followEvents(turn) : this.followNdjson(turn);
      yield* events;
      this.store.touch(scope, run.lastMessageId);
    } catch (error) {
      yield run.fail(...describeFailure(error));
    } finally {
      this.active.delete(key);
      unlock();
    }
    yield run.done();
  }

  /**
   * `prompt_async`, once. A call lost in transit (refused, reset, timed out) may or may not have
   * reached the server, and sending it blindly again could run the prompt twice; the prompt's
   * own message id tells, from storage (given a moment: the server may answer before it
   * stores). Not there: sent once more. There: the run follows it as usual.
   */
  private async sendPrompt(sessionId: string, body: OcPromptBody): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.promptAsync(sessionId, body);
      } catch (error) {
        if (!(error instanceof UnreachableError || error instanceof TimeoutError)) throw error;
        let answered = false;
        for (let look = 0; look < PROMPT_LOOKS; look++) {
          await new Promise((resolve) => setTimeout(resolve, PROMPT_LOOK_MS));
          const stored = await this.client.messages(sessionId).catch(() => undefined);
          answered ||= stored !== undefined;
          if (stored?.some((m) => m.info.id === body.messageID)) return;
        }
        if (!answered) throw error; // the server itself is gone: said as it is
        if (attempt === 2) {
          const why = error instanceof UnreachableError ? error.detail : "no answer in time";
          throw new OpenCodeError("unreachable", `The prompt did not get through to the OpenCode server at ${this.client.displayUrl} (twice: ${why}), though the server is up and its event stream works. Something between pocketpaw and the server (a proxy, a firewall) may be dropping requests; try again.`, { cause: error });
        }
      }
    }
  }

  private scope(key: string): ConversationScope {
    return this.conversations.scope(key);
  }

  /** The conversation's session: stored and still on the server, or a new one. */
  private async sessionFor(
    scope: ConversationScope,
    message: string,
    model: string,
  ): Promise<ConversationRecord & { fresh?: boolean; replaced?: string }> {
    const stored = this.store.get(scope);
    if (stored) {
      if (this.verified.has(stored.sessionId)) return stored;
      try {
        await this.client.getSession(stored.sessionId);
        this.verified.add(stored.sessionId);
        return stored;
      } catch (error) {
        if (!(error instanceof ApiError && (error.isNotFound || error.status === 400))) throw error;
      }
    }
    const title = titleFor(message);
    // Nobody can answer the `question` tool through this backend: deny it rather than hang.
    const permission: OcPermissionRule[] = [...(this.options.permission ?? []), { permission: "question", pattern: "*", action: "deny" }];
    const session = await this.client.createSession({ title, permission });
    this.verified.add(session.id);
    const now = Date.now();
    const record: ConversationRecord = { ...scope, sessionId: session.id, title, model, createdAt: now, lastUsedAt: now, lastMessageId: "" };
    this.store.put(record);
    return stored ? { ...record, replaced: stored.sessionId } : { ...record, fresh: true };
  }

  /** The real server: subscribe first, then prompt_async, then follow the session's events. */
  private async *followEvents({ run, record, body, key, maxTurns, signal }: Turn): AsyncGenerator<AgentEvent> {
    const sessionId = record.sessionId;
    const inbox = new AsyncQueue<Item>();
    const unsubscribe = this.hub.subscribe(sessionId, (signal) => inbox.push(signal));
    const ticker = setInterval(() => inbox.push({ kind: "tick" }), TICK_MS);
    const stop = () => inbox.push({ kind: "stop" });
    signal?.addEventListener("abort", stop, { once: true });
    // A signal aborted while the session was being looked up fires no event any more.
    if (signal?.aborted) stop();
    const timeoutMs = this.client.timeoutMs;
    const reconnectTimeoutMs = this.options.reconnectTimeoutMs ?? 60_000;
    try {
      // 1. The event stream must be live before the prompt, or its first events are lost.
      const waitUntil = Date.now() + timeoutMs;
      for (;;) {
        const item = await inbox.next();
        if (item.kind === "connected") break;
        if (item.kind === "fatal") throw item.error;
        if (item.kind === "stop") return void (run.stopped = true);
        if (Date.now() > waitUntil) throw new OpenCodeError("timeout", `The OpenCode server's event stream did not open within ${timeoutMs / 1000} s.`);
      }
      // 2. The prompt, under an id of our own so its answers are recognisable.
      const userMessageId = newMessageId(record.lastMessageId);
      run.lastMessageId = userMessageId;
      const translator = new TurnTranslator({ sessionId, userMessageId });
      this.active.set(key, { status: { sessionKey: key, sessionId, startedAt: Date.now(), turns: 0 }, stop });
      await this.sendPrompt(sessionId, body(userMessageId));

      // 3. Follow the turn until the translator says it is complete.
      let downSince: number | undefined;
      let idleSince: number | undefined;
      let stopDeadline: number | undefined;
      const abort = async (why: "stop" | "max_turns") => {
        translator.stopRequested = true;
        stopDeadline = Date.now() + (this.options.stopTimeoutMs ?? 10_000);
        if (why === "stop") run.stopped = true;
        await this.client.abort(sessionId).catch(() => {});
      };
      const resync = async function* (this: OpenCodeBackend, settled = false): AsyncGenerator<AgentEvent> {
        const [messages, statuses] = await Promise.all([this.client.messages(sessionId), this.client.sessionStatus()]);
        const busy = (statuses?.[sessionId]?.type ?? "idle") !== "idle";
        yield* translator.resync(messages, busy, settled);
      }.bind(this);

      while (!translator.complete) {
        const item = await inbox.next();
        switch (item.kind) {
          case "event":
            for (const event of translator.handle(item.event)) yield event;
            break;
          case "connected":
            if (downSince !== undefined) {
              downSince = undefined;
              try {
                yield* resync();
                yield status({ state: "resynced", sessionId }, "Reconnected to the OpenCode server and caught up.");
              } catch {
                // The next reconnection resyncs again.
              }
            }
            break;
          case "disconnected":
            if (downSince === undefined) {
              downSince = Date.now();
              translator.markGap();
              yield status({ state: "reconnecting", reason: item.error.message }, `Lost the OpenCode event stream (${item.error.message}); reconnecting…`);
            }
            break;
          case "fatal":
            throw item.error;
          case "stop":
            if (stopDeadline === undefined) {
              yield status({ state: "stopping" }, "Stopping the run on the OpenCode server…");
              await abort("stop");
            }
            break;
          case "tick": {
            const now = Date.now();
            if (downSince !== undefined && now - downSince > reconnectTimeoutMs) {
              throw new OpenCodeError("unreachable", `Lost the OpenCode server at ${this.client.displayUrl} mid-run and could not reconnect within ${reconnectTimeoutMs / 1000} s. The run may still be going on the server.`);
            }
            if (stopDeadline !== undefined && now > stopDeadline) return;
            // Idle without the turn looking complete: look at storage (covers servers that
            // send idle before the final message update, and events lost in the stream).
            if (translator.idleButIncomplete) {
              idleSince ??= now;
              // After an abort the server's last updates follow idle within a few ms.
              const settleMs = Math.min(this.options.settleMs ?? 1_000, translator.stopRequested ? STOP_SETTLE_MS : Infinity);
              if (now - idleSince > settleMs) {
                idleSince = now;
                try {
                  yield* resync(true);
                } catch {
                  // Retried on the next settle period.
                }
              }
            } else idleSince = undefined;
            break;
          }
        }
        const active = this.active.get(key);
        if (active) active.status.turns = translator.turns;
        const limit = run.follow(translator, maxTurns);
        if (limit) {
          yield limit;
          await abort("max_turns");
        }
      }
    } finally {
      clearInterval(ticker);
      signal?.removeEventListener("abort", stop);
      unsubscribe();
    }
  }

  /**
   * The seed's protocol: the answer to `POST /session/{id}/message` is the turn itself, one
   * JSON value per line: OpenCode events (`{type, properties}`) or whole messages
   * (`{info, parts}`), read by the same translator.
   */
  private async *followNdjson({ run, record, body, key, maxTurns, signal }: Turn): AsyncGenerator<AgentEvent> {
    const sessionId = record.sessionId;
    const userMessageId = newMessageId(record.lastMessageId);
    run.lastMessageId = userMessageId;
    const translator = new TurnTranslator({ sessionId, userMessageId, anyAssistant: true });
    const reading = new AbortController();
    const stop = (why: "stop" | "max_turns") => {
      translator.stopRequested = true;
      if (why === "stop") run.stopped = true;
      reading.abort();
      this.client.abort(sessionId).catch(() => {});
    };
    const onAbort = () => stop("stop");
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    this.active.set(key, { status: { sessionKey: key, sessionId, startedAt: Date.now(), turns: 0 }, stop: onAbort });
    try {
      const response = await this.client.promptStream(sessionId, body(userMessageId), reading.signal);
      for await (const line of readNdjsonLines(response.body as unknown as AsyncIterable<Uint8Array>)) {
        for (const event of parseNdjsonLine(line)) {
          for (const out of translator.handle(event)) yield out;
        }
        const limit = run.follow(translator, maxTurns);
        if (limit) {
          yield limit;
          stop("max_turns");
        }
      }
    } catch (error) {
      if (!reading.signal.aborted) throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
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

  status(): BackendStatus {
    return {
      backend: "opencode",
      serverUrl: this.client.displayUrl,
      ...(this.profile ? { serverVersion: this.profile.version } : {}),
      eventStreamConnected: this.hub.connected,
      activeRuns: [...this.active.values()].map((r) => ({ ...r.status })),
    };
  }

  async close(): Promise<void> {
    for (const run of this.active.values()) run.stop();
    await this.hub.close();
    this.store.close();
  }
}

/** What following one turn needs, whichever protocol the server speaks. */
interface Turn {
  run: RunState;
  record: ConversationRecord;
  /** The prompt's body, under the user message id the follower chooses. */
  body: (messageID: string) => OcPromptBody;
  key: string;
  maxTurns: number;
  signal: AbortSignal | undefined;
}

/** Book-keeping of one run, and the two events every run can end with. */
class RunState {
  sessionId: string | undefined;
  lastMessageId = "";
  turns = 0;
  stopped = false;
  failed = false;
  maxTurnsHit = false;
  usage = emptyUsage();

  /**
   * Takes in the translator's progress; past the turn limit, returns the max_turns error (once)
   * and the caller stops the run on the server.
   */
  follow(translator: TurnTranslator, maxTurns: number): AgentEvent | undefined {
    this.turns = translator.turns;
    this.failed ||= translator.failed;
    this.usage = translator.usage;
    if (translator.newestMessageId > this.lastMessageId) this.lastMessageId = translator.newestMessageId;
    if (maxTurns <= 0 || translator.turns <= maxTurns || this.maxTurnsHit) return undefined;
    this.maxTurnsHit = true;
    const steps = `${maxTurns} model step${maxTurns === 1 ? "" : "s"}`;
    return { type: "error", content: `Stopped after ${steps}: the turn limit (POCKETPAW_OPENCODE_MAX_TURNS or --max-turns) was reached.`, metadata: { code: "max_turns" } };
  }

  fail(code: ErrorCode, content: string): AgentEvent {
    this.failed = true;
    return { type: "error", content, metadata: { code } };
  }

  done(): AgentEvent {
    const reason: DoneReason = this.maxTurnsHit ? "max_turns" : this.stopped ? "stopped" : this.failed ? "error" : "completed";
    return {
      type: "done",
      content: "",
      metadata: { reason, stopped: this.stopped, ...(this.sessionId ? { sessionId: this.sessionId } : {}), usage: this.usage, turns: this.turns },
    };
  }
}

function status(metadata: Extract<AgentEvent, { type: "status" }>["metadata"], content: string): AgentEvent {
  return { type: "status", content, metadata };
}

/** A conversation's title from its first message. */
export function titleFor(message: string): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line || "pocketpaw conversation";
}

function describeFailure(error: unknown): [ErrorCode, string] {
  if (error instanceof OpenCodeError) return [error.code, error.message];
  return ["unknown", `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`];
}

/** One NDJSON line as the OpenCode events it stands for; a malformed line stands for none. */
function parseNdjsonLine(line: string): OcEvent[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return [];
  }
  if (typeof value !== "object" || value === null) return [];
  const v = value as Record<string, unknown>;
  if (typeof v.type === "string") return [{ ...v, type: v.type, properties: (v.properties as Record<string, unknown>) ?? {} }];
  if (typeof v.info === "object" && v.info !== null) return messageEvents(v as unknown as OcMessage);
  return [];
}
