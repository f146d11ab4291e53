import type { AgentEvent } from "../../agent/events.js";
import { AsyncQueue } from "../../util/async-queue.js";
import type { EventHub, HubSignal } from "../events/event-hub.js";
import type { OpenCodeClient } from "../rest/client.js";
import { ApiError, OpenCodeError } from "../rest/errors.js";
import { filesChangedEvent, statusEvent } from "../translate/agent-events.js";
import { changedFiles } from "../translate/changed-files.js";
import { TurnTranslator } from "../translate/translate.js";
import { turnChanges } from "./changes.js";
import { newMessageId } from "./message-id.js";
import { promptFailure, sendPrompt } from "./prompt.js";
import type { Turn } from "./run-state.js";

export interface LiveOptions {
  /** After the session went idle without the run looking complete, wait this long, then read storage. */
  settleMs: number;
  /** How long a run waits for a lost event stream to come back before it fails. */
  reconnectTimeoutMs: number;
  /** How long a stopped run waits for the server to confirm before it ends anyway. */
  stopTimeoutMs: number;
  /** How long a sent prompt may go without any sign from the server before storage is asked whether it runs. */
  stallMs: number;
}

type Item = HubSignal | { kind: "tick" } | { kind: "stop" } | { kind: "request-failed"; error: unknown };

/** How often the deadlines are looked at. */
const TICK_MS = 100;
/** How long a stopped run waits after idle for the server's final updates before it reads storage. */
const STOP_SETTLE_MS = 200;

/**
 * The real server's protocol: subscribe to the session on the shared event stream, wait until
 * the stream is live (or its first events would be lost), prompt (`prompt_async`, or a command),
 * then follow the turn until the translator says it is complete, and say which files it changed.
 * Until the prompt is sent a stop simply ends the run.
 */
export async function* followEvents(client: OpenCodeClient, hub: EventHub, options: LiveOptions, turn: Turn): AsyncGenerator<AgentEvent[]> {
  const inbox = new AsyncQueue<Item>();
  const unsubscribe = hub.subscribe(turn.sessionId, (signal) => inbox.push(signal));
  const ticker = setInterval(() => inbox.push({ kind: "tick" }), TICK_MS);
  const stop = () => inbox.push({ kind: "stop" });
  turn.signal.addEventListener("abort", stop, { once: true });
  if (turn.signal.aborted) stop();
  // The command call blocks until the turn ends: it is ended with the run.
  const sending = new AbortController();
  try {
    // A stop queued behind "connected" (the stream was already live) is seen by the signal.
    if (!(await streamLive(inbox, client.timeoutMs)) || turn.signal.aborted) return turn.run.stopping("stop");
    // The prompt, under an id of our own so its answers are recognisable.
    const translator = turn.run.begin(new TurnTranslator({ sessionId: turn.sessionId, userMessageId: newMessageId(turn.after) }));
    const { request } = turn;
    if (request.kind === "prompt") await sendPrompt(client, turn.sessionId, request.body(translator.userMessageId));
    else {
      // Followed on the event stream like a prompt; its answer only matters when it is a refusal.
      client.command(turn.sessionId, request.body(translator.userMessageId), sending.signal).catch((error: unknown) => {
        if (!sending.signal.aborted) inbox.push({ kind: "request-failed", error });
      });
    }
    yield* new LiveFollower(client, options, turn, translator, inbox).follow();
    // Files change only through tools (bash and a subagent's included): a turn without any needs no diff.
    if (translator.changes.toolsRun > 0) {
      const changes = await turnChanges(client, turn.sessionId, translator.userMessageId, translator.changes);
      if (changes.length > 0) yield [filesChangedEvent(changedFiles(changes))];
    }
  } finally {
    sending.abort();
    clearInterval(ticker);
    turn.signal.removeEventListener("abort", stop);
    unsubscribe();
  }
}

/** Waits for the event stream to be live: true when it is, false when the run is stopped first. */
async function streamLive(inbox: AsyncQueue<Item>, timeoutMs: number): Promise<boolean> {
  const waitUntil = Date.now() + timeoutMs;
  for (;;) {
    const item = await inbox.next();
    if (item.kind === "connected") return true;
    if (item.kind === "fatal") throw item.error;
    if (item.kind === "stop") return false;
    if (Date.now() > waitUntil)
      throw new OpenCodeError("timeout", `The OpenCode server's event stream did not open within ${timeoutMs / 1000} s.`);
  }
}

/**
 * One prompted turn, followed on the event stream until complete. Four deadlines bound it: the
 * lost stream's return (a gap is resynced from storage once it is back), the server's
 * confirmation of a stop, the settle period after an idle that did not complete the turn, and,
 * until the turn has visibly started, the server's silence after the prompt (it can take a
 * prompt and never run it: storage and the session's status then tell).
 */
class LiveFollower {
  /** When the session last gave a sign of life (an event), from when the prompt was sent. */
  private lastSign = Date.now();
  /** When the event stream was lost, while it is. */
  private downSince: number | undefined;
  /** When the session was first seen idle without the turn being complete. */
  private idleSince: number | undefined;
  /** When a stopped run ends even if the server has not confirmed. */
  private stopDeadline: number | undefined;

  constructor(
    private readonly client: OpenCodeClient,
    private readonly options: LiveOptions,
    private readonly turn: Turn,
    private readonly translator: TurnTranslator,
    private readonly inbox: AsyncQueue<Item>,
  ) {}

  /**
   * The turn's AgentEvents, in batches: those of all the inbox's items at hand at once. A chunk
   * of the stream brings hundreds of events in one go; handing them on one by one through the
   * generators cost several promise round trips each (backend.ts hands a batch out item by item).
   */
  async *follow(): AsyncGenerator<AgentEvent[]> {
    while (!this.translator.complete) {
      const items = await this.inbox.nextBatch();
      // The items were all queued by now: one reading of the clock stands for their arrival.
      const now = Date.now();
      let out: AgentEvent[] = [];
      for (const item of items) {
        if (this.translator.complete) break; // what follows the end is left, as a run ends there
        if (item.kind === "event") {
          this.lastSign = now;
          this.translator.handle(item.event, out);
        } else {
          // What came before goes out before this item's work waits for the server.
          if (out.length > 0) yield out;
          out = [];
          if (yield* this.take(item)) return;
        }
        const limit = this.turn.run.turnLimitReached();
        if (limit) {
          out.push(limit);
          yield out;
          out = [];
          await this.abort("max_turns");
        }
      }
      if (out.length > 0) yield out;
    }
  }

  /** One item of the inbox other than an event; returns true when the run must end now, complete or not. */
  private async *take(item: Exclude<Item, { kind: "event" }>): AsyncGenerator<AgentEvent[], boolean> {
    switch (item.kind) {
      case "request-failed":
        // The server refused the command (an HTTP error) before the turn started: the run fails.
        // Anything else (the call cut or timed out) leaves the event stream and storage to tell.
        if (item.error instanceof ApiError && !this.translator.started) throw promptFailure(item.error, this.turn.sessionId);
        return false;
      case "connected":
        if (this.downSince !== undefined) {
          this.downSince = undefined;
          try {
            yield* this.resync();
            yield [statusEvent({ state: "resynced", sessionId: this.turn.sessionId }, "Reconnected to the OpenCode server and caught up.")];
          } catch {
            // The next reconnection resyncs again.
          }
        }
        return false;
      case "disconnected":
        if (this.downSince === undefined) {
          this.downSince = Date.now();
          this.translator.markGap();
          yield [
            statusEvent(
              { state: "reconnecting", reason: item.error.message },
              `Lost the OpenCode event stream (${item.error.message}); reconnecting…`,
            ),
          ];
        }
        return false;
      case "fatal":
        throw item.error;
      case "stop":
        if (this.stopDeadline === undefined) {
          yield [statusEvent({ state: "stopping" }, "Stopping the run on the OpenCode server…")];
          await this.abort("stop");
        }
        return false;
      case "tick":
        return yield* this.tick();
    }
  }

  private async *tick(): AsyncGenerator<AgentEvent[], boolean> {
    const now = Date.now();
    const { reconnectTimeoutMs, settleMs } = this.options;
    if (this.downSince !== undefined && now - this.downSince > reconnectTimeoutMs) {
      throw new OpenCodeError(
        "unreachable",
        `Lost the OpenCode server at ${this.client.displayUrl} mid-run and could not reconnect within ${reconnectTimeoutMs / 1000} s. The run may still be going on the server.`,
      );
    }
    if (this.stopDeadline !== undefined && now > this.stopDeadline) return true;
    if (
      this.stopDeadline === undefined &&
      this.downSince === undefined &&
      !this.translator.started &&
      now - this.lastSign > this.options.stallMs
    ) {
      yield* this.checkStalled();
    }
    // Idle without the turn looking complete: look at storage (covers servers that send idle
    // before the final message update, and events lost in the stream).
    if (!this.translator.idleButIncomplete) {
      this.idleSince = undefined;
      return false;
    }
    this.idleSince ??= now;
    // After an abort the server's last updates follow idle within a few ms.
    if (now - this.idleSince > Math.min(settleMs, this.translator.stopRequested ? STOP_SETTLE_MS : Infinity)) {
      this.idleSince = now;
      try {
        yield* this.resync(true);
      } catch {
        // Retried on the next settle period.
      }
    }
    return false;
  }

  /**
   * The server has been silent since the prompt: storage and the session's status say whether the
   * turn runs after all (then it is followed on), or never started (OpenCode can take a prompt and
   * not run it): then the run ends with `stalled`, and the session is aborted so that the prompt
   * does not start later unwatched.
   */
  private async *checkStalled(): AsyncGenerator<AgentEvent[]> {
    this.lastSign = Date.now();
    let busy: boolean;
    try {
      busy = yield* this.resync();
    } catch {
      return; // storage could not be read: asked again after the next silent period
    }
    if (busy || this.translator.started) return;
    await this.client.abort(this.turn.sessionId).catch(() => {});
    const seconds = Math.round(this.options.stallMs / 1000);
    throw new OpenCodeError(
      "stalled",
      `The OpenCode server accepted the prompt but did not start working on it within ${seconds} s (a known OpenCode problem). Send it again; if that happens again, restart \`opencode serve\`.`,
    );
  }

  private async abort(why: "stop" | "max_turns"): Promise<void> {
    this.turn.run.stopping(why);
    this.stopDeadline = Date.now() + this.options.stopTimeoutMs;
    await this.client.abort(this.turn.sessionId).catch(() => {});
  }

  /**
   * Catches up from storage: the session's messages, the questions waiting for an answer, and
   * whether the server still runs the session (returned).
   */
  private async *resync(settled = false): AsyncGenerator<AgentEvent[], boolean> {
    const sessionId = this.turn.sessionId;
    const [messages, statuses, questions] = await Promise.all([
      this.client.messages(sessionId),
      this.client.sessionStatus(),
      this.client.pendingQuestions().catch(() => []),
    ]);
    const busy = (statuses?.[sessionId]?.type ?? "idle") !== "idle";
    yield [
      ...this.translator.resync(messages, busy, settled),
      ...this.translator.pendingQuestions(Array.isArray(questions) ? questions : []),
    ];
    return busy;
  }
}
