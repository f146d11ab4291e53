import type { OpenCodeClient } from "../rest/client.js";
import { AuthError, NotOpenCodeError, type OpenCodeError } from "../rest/errors.js";
import { eventSessionId, type OcEvent, obj, str } from "../rest/wire.js";
import { SseDecoder } from "../transport/sse.js";

/**
 * One `GET /event` connection per server and directory, shared by every conversation and
 * demultiplexed by session. A subagent's child session is routed to the conversation of its
 * root session, learned from `session.created` / `session.updated` (their `parentID`).
 *
 * The connection is kept while anyone listens. When it drops, or falls silent past the heartbeat
 * window (the server sends `server.heartbeat` every 10 s), it is reopened with backoff, and
 * listeners are told, so each can resync its session from storage: `/event` has no replay.
 */
export type HubSignal =
  | { kind: "event"; event: OcEvent }
  /** The server has registered this connection; `afterGap` when events may have been missed. */
  | { kind: "connected"; afterGap: boolean }
  | { kind: "disconnected"; error: Error }
  /** The server refuses this client (credentials, not OpenCode): retrying will not help. */
  | { kind: "fatal"; error: OpenCodeError };

export type HubListener = (signal: HubSignal) => void;

export interface EventHubOptions {
  /** Silence longer than this means the connection is dead. */
  heartbeatTimeoutMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** How long to keep the connection after the last listener leaves (a chat's next turn reuses it). */
  lingerMs?: number;
}

export class StalledStreamError extends Error {
  constructor(ms: number) {
    super(`the event stream sent nothing for ${ms / 1000} s`);
  }
}

/** Why the hub closes a connection nobody listens to: not a failure, nothing to tell anyone. */
class IdleClose extends Error {}

export class EventHub {
  private readonly listeners = new Map<string, Set<HubListener>>();
  /** Child session → the root session whose conversation it works for. */
  private readonly roots = new Map<string, string>();
  private readonly heartbeatTimeoutMs: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly lingerMs: number;
  private loop: Promise<void> | undefined;
  private connection: AbortController | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private isConnected = false;
  private closed = false;
  /** Malformed frames passed over since the hub started (for status and tests). */
  malformedFrames = 0;

  constructor(
    private readonly client: OpenCodeClient,
    options: EventHubOptions = {},
  ) {
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 30_000;
    this.retryInitialMs = options.retryInitialMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 5_000;
    this.lingerMs = options.lingerMs ?? 0;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Listens to a session (and its children); the returned function stops listening. */
  subscribe(sessionId: string, listener: HubListener): () => void {
    if (this.closed) throw new Error("the event hub is closed");
    let set = this.listeners.get(sessionId);
    if (!set) {
      set = new Set();
      this.listeners.set(sessionId, set);
    }
    set.add(listener);
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.isConnected) listener({ kind: "connected", afterGap: false });
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
    return () => this.unsubscribe(sessionId, listener);
  }

  /**
   * Opens the connection ahead of any subscription (a run opens it while its session is being
   * created, so the prompt need not wait for it afterwards); the returned function lets it go.
   */
  hold(): () => void {
    // No session has an empty id: the placeholder listener is told of the connection only.
    return this.subscribe("", () => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.connection?.abort();
    this.wakeRetry?.();
    await this.loop;
  }

  private unsubscribe(sessionId: string, listener: HubListener): void {
    const set = this.listeners.get(sessionId);
    if (!set?.delete(listener)) return;
    if (set.size === 0) this.listeners.delete(sessionId);
    if (this.listeners.size > 0) return;
    const stop = () => {
      if (this.listeners.size > 0) return;
      // At once, not when the connection has wound down: a run subscribing meanwhile must wait
      // for the next connection's "connected", not take this closing one's events as live.
      this.isConnected = false;
      this.connection?.abort(new IdleClose());
    };
    if (this.lingerMs > 0) this.lingerTimer = setTimeout(stop, this.lingerMs).unref();
    else stop();
  }

  private broadcast(signal: HubSignal): void {
    for (const set of [...this.listeners.values()]) for (const listener of [...set]) listener(signal);
  }

  private get wanted(): boolean {
    return !this.closed && this.listeners.size > 0;
  }

  private async run(): Promise<void> {
    let delay = this.retryInitialMs;
    let everConnected = false;
    while (this.wanted) {
      let gotEvents = false;
      try {
        const end = await this.connectOnce(() => {
          gotEvents = true;
          this.isConnected = true;
          this.broadcast({ kind: "connected", afterGap: everConnected });
          everConnected = true;
        });
        if (end === "idle") {
          // Closed for want of listeners, and someone subscribed since: a fresh start, no gap to tell of.
          everConnected = false;
          delay = this.retryInitialMs;
          continue;
        }
        if (this.wanted) this.broadcast({ kind: "disconnected", error: new Error("the server closed the event stream") });
      } catch (error) {
        if (!this.wanted) break;
        if (error instanceof AuthError || error instanceof NotOpenCodeError) {
          this.broadcast({ kind: "fatal", error });
          await this.sleep(this.retryMaxMs * 4);
          continue;
        }
        this.broadcast({ kind: "disconnected", error: error instanceof Error ? error : new Error(String(error)) });
      } finally {
        this.isConnected = false;
      }
      if (gotEvents) delay = this.retryInitialMs; // backoff resets after a connection that worked
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.retryMaxMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeRetry = done;
    }).finally(() => {
      this.wakeRetry = undefined;
    });
  }

  /** One connection, until it ends: "idle" when the hub closed it for want of listeners. */
  private async connectOnce(onConnected: () => void): Promise<"ended" | "idle"> {
    const controller = new AbortController();
    this.connection = controller;
    // Chunks are counted as they come and the watchdog notes when the count last moved: cheaper
    // than reading the clock for every chunk of a burst.
    let chunks = 0;
    let counted = 0;
    let lastData = Date.now();
    const watchdog = setInterval(
      () => {
        if (chunks !== counted) {
          counted = chunks;
          lastData = Date.now();
        } else if (Date.now() - lastData > this.heartbeatTimeoutMs) controller.abort(new StalledStreamError(this.heartbeatTimeoutMs));
      },
      Math.max(50, Math.floor(this.heartbeatTimeoutMs / 4)),
    );
    try {
      const response = await this.client.events(controller.signal);
      // Each chunk's events are handled synchronously, in one go: a burst of OpenCode events
      // arrives hundreds to a chunk, and a promise round trip per event (an async generator
      // yielding each) cost a good part of the hub's time (see SseDecoder).
      const decoder = new SseDecoder();
      await response.eachChunk((chunk) => {
        chunks++;
        for (const data of decoder.push(chunk)) this.receive(data, onConnected);
      });
      for (const data of decoder.end()) this.receive(data, onConnected);
      return "ended";
    } catch (error) {
      if (controller.signal.reason instanceof IdleClose) return "idle";
      if (controller.signal.reason instanceof StalledStreamError) throw controller.signal.reason;
      throw error;
    } finally {
      clearInterval(watchdog);
      controller.abort();
    }
  }

  /** One frame's data: parsed, then routed; a malformed frame is counted and passed by. */
  private receive(data: string, onConnected: () => void): void {
    let event: OcEvent;
    try {
      event = JSON.parse(data) as OcEvent;
    } catch {
      this.malformedFrames++;
      return;
    }
    if (typeof event?.type !== "string") {
      this.malformedFrames++;
      return;
    }
    event.properties ??= {};
    if (event.type === "server.connected") onConnected();
    else this.route(event);
  }

  private route(event: OcEvent): void {
    if (event.type === "session.created" || event.type === "session.updated") {
      const info = obj(event.properties, "info");
      const id = str(info, "id");
      const parent = str(info, "parentID");
      if (id && parent) this.roots.set(id, this.roots.get(parent) ?? parent);
    }
    const sessionId = eventSessionId(event);
    if (!sessionId) return;
    const set = this.listeners.get(this.roots.get(sessionId) ?? sessionId);
    if (!set) return;
    // No copy of the set per event (this runs for every delta): iterating a Set is well defined
    // while a listener unsubscribes itself, and one added now simply sees this event too.
    const signal: HubSignal = { kind: "event", event };
    for (const listener of set) listener(signal);
  }
}
