import { type AgentEvent, addUsage, emptyUsage, errorEvent, type SubagentRef, type TokenUsage } from "../../agent/events.js";
import {
  eventSessionId,
  messageEvents,
  type OcError,
  type OcEvent,
  type OcMessage,
  type OcMessageInfo,
  type OcPart,
  type OcQuestionRequest,
  obj,
  str,
} from "../rest/wire.js";
import {
  retryEvent,
  serverErrorEvent,
  sideEvent,
  statusEvent,
  textEvent,
  thinkingDoneEvent,
  tokenUsageEvent,
  toolResultEvent,
  toolUseEvent,
  usageOf,
} from "./agent-events.js";
import { ChangedFiles } from "./changed-files.js";
import type { MessageState, PartState, TranslatorOptions } from "./turn-state.js";

export type { TranslatorOptions };

/**
 * The one place where OpenCode events become AgentEvents: a state machine for one run (one
 * prompt of one session, plus the child sessions its subagents work in). It does no I/O; the
 * backend feeds it events from the live stream and, after a gap, the stored messages
 * (`resync`), and it emits each piece of output exactly once whichever way it learned of it.
 *
 * Text is tracked per part as the count of characters delivered, never the text itself, so a run
 * of a million deltas holds a few numbers per part.
 */

export class TurnTranslator {
  readonly sessionId: string;
  readonly userMessageId: string;
  private readonly anyAssistant: boolean;
  /** Model steps so far: assistant messages in the conversation's own session. */
  turns = 0;
  failed = false;
  /** Tokens and cost of every completed step so far, subagents' included. */
  usage: TokenUsage = emptyUsage();
  /** The newest message id of the conversation's session in this run: the prompt's, then its answers'. */
  newestMessageId: string;
  /** The files the run's own file tools (and its subagents') changed. */
  readonly changes = new ChangedFiles();
  private stopping = false;

  private readonly messages = new Map<string, MessageState>();
  private readonly parts = new Map<string, PartState>();
  /** Events of messages whose role is not known yet (a part may arrive before its message). */
  private readonly waitingForMessage = new Map<string, OcEvent[]>();
  /** Deltas of parts whose type is not known yet (a delta may arrive before its part). */
  private readonly waitingForPart = new Map<string, OcEvent[]>();
  private readonly errorsSeen = new Set<string>();
  /** Questions already shown (live, or found pending after a gap), and the subagents' sessions seen. */
  private readonly questionsSeen = new Set<string>();
  private readonly childSessions = new Set<string>();
  /** Parts whose deltas were waiting when a gap happened (see markGap). */
  private readonly heldBeforeKnown = new Set<string>();
  /** A part first met in storage may have streamed deltas this client never saw: hold it. */
  private readingStorage = false;
  private userSeen = false;
  private busyAnnounced = false;
  private idleSeen = false;
  private sessionErrorSeen = false;
  /** The server failed the prompt before storing it (1.18.33: an image it cannot decode); the error said why. */
  private refused = false;
  private readonly pendingAssistants = new Set<string>();
  private ownAssistants = 0;

  constructor(options: TranslatorOptions) {
    this.sessionId = options.sessionId;
    this.userMessageId = options.userMessageId;
    this.anyAssistant = options.anyAssistant ?? false;
    this.newestMessageId = options.userMessageId;
  }

  /** Whether the run is being stopped (by request or at the turn limit). */
  get stopRequested(): boolean {
    return this.stopping;
  }

  /** Called before the run is stopped on the server, so the server's "aborted" is not reported as a failure. */
  requestStop(): void {
    this.stopping = true;
  }

  /**
   * The run is over: the session went idle after our prompt, every assistant message answering
   * it is complete (or failed), and there was at least one such message or a session error.
   * (Servers send idle before the aborted message's final update, so idle alone is not enough.)
   */
  get complete(): boolean {
    if (this.refused) return true;
    return this.userSeen && this.idleSeen && this.pendingAssistants.size === 0 && (this.ownAssistants > 0 || this.sessionErrorSeen);
  }

  /** The server has visibly taken the prompt up: an answer to it began, or it failed the session. */
  get started(): boolean {
    return this.ownAssistants > 0 || this.sessionErrorSeen;
  }

  /** Idle (or a session error before our message: no idle follows it) yet not complete: read storage after a while. */
  get idleButIncomplete(): boolean {
    return (this.idleSeen || (this.sessionErrorSeen && !this.userSeen)) && !this.complete;
  }

  /** The AgentEvents an event stands for, appended to `out` when given (a burst's, collected in one array). */
  handle(event: OcEvent, out: AgentEvent[] = []): AgentEvent[] {
    this.dispatch(event, out);
    return out;
  }

  /**
   * The event stream had a gap: deltas of parts still streaming may be lost, so later deltas of
   * those parts would leave a hole. Their text is completed from the part's final form instead
   * (the `message.part.updated` with `time.end`, or storage once the part has ended).
   */
  markGap(): void {
    for (const part of this.parts.values()) if ((part.kind === "text" || part.kind === "reasoning") && !part.ended) part.held = true;
    // Deltas waiting for their part to be announced may be followed by a hole too.
    for (const events of [...this.waitingForPart.values(), ...this.waitingForMessage.values()]) {
      for (const event of events) {
        const partId = event.type === "message.part.delta" ? str(event.properties, "partID") : undefined;
        if (partId) this.heldBeforeKnown.add(partId);
      }
    }
  }

  /**
   * Catch up from storage (`GET /session/{id}/message`) after a gap in the stream. Stored text
   * of a part still streaming is empty, so it adds nothing until the part has ended; then only
   * the suffix not yet delivered is emitted. `busy` is whether the server still runs the session;
   * `settled`, that it has been idle for a while already (the backend's settle period).
   */
  resync(messages: OcMessage[], busy: boolean, settled = false): AgentEvent[] {
    const out: AgentEvent[] = [];
    this.readingStorage = true;
    try {
      for (const m of messages) for (const event of messageEvents(m)) this.dispatch(event, out);
    } finally {
      this.readingStorage = false;
    }
    // Settled, idle, a session error, and our message is not in storage: it never will be.
    if (!busy && !this.userSeen && this.sessionErrorSeen && settled) this.refused = true;
    if (!busy && this.userSeen) {
      this.idleSeen = true;
      // A stopped (or long idle) run is over: an abort that lands just as a new step begins can
      // leave that assistant message open for good, with no error and no completion, in the
      // stream and in storage alike (1.14.34, see server-profile.ts).
      if (this.stopRequested || settled) {
        // Not stopped, yet idle for a while with an answer neither finished nor failed: the
        // server dropped the turn (killed and restarted mid-turn, say: storage keeps the open
        // message and nothing will finish it). Say so rather than end as if all were well.
        if (!this.stopRequested && this.pendingAssistants.size > 0) {
          this.failed = true;
          out.push(
            errorEvent(
              "session",
              "OpenCode stopped working on this turn without finishing it (was the server restarted?): the answer may be cut short. Ask again to continue.",
            ),
          );
        }
        this.pendingAssistants.clear();
      }
    }
    return out;
  }

  /** The questions pending on the server (`GET /question`, after a gap): those of this run not shown yet. */
  pendingQuestions(pending: OcQuestionRequest[]): AgentEvent[] {
    const ours = pending.filter((q) => q.sessionID === this.sessionId || this.childSessions.has(q.sessionID));
    return ours.flatMap((q) => this.handle({ type: "question.asked", properties: { ...q } }));
  }

  private dispatch(event: OcEvent, out: AgentEvent[]): void {
    const p = event.properties ?? {};
    const origin = eventSessionId(event) ?? this.sessionId;
    const subagent = origin === this.sessionId ? undefined : { sessionId: origin };
    if (subagent) this.childSessions.add(origin);
    switch (event.type) {
      case "message.updated": {
        const info = obj(p, "info") as OcMessageInfo | undefined;
        if (info?.id) this.onMessage(info, subagent, out);
        return;
      }
      case "message.part.updated": {
        const part = obj(p, "part") as OcPart | undefined;
        if (!part?.id || !part.messageID) return;
        const message = this.messages.get(part.messageID);
        if (!message) return this.wait(this.waitingForMessage, part.messageID, event);
        if (message.ours) this.onPart(part, subagent, out);
        return;
      }
      case "message.part.delta": {
        // Nearly every event of a turn: its fields are read directly, not through `str` (whose
        // lookup by a variable key stood out in the translator's profile, bench/).
        const { messageID: messageId, partID: partId, delta, field } = p as Record<string, unknown>;
        if (typeof messageId !== "string" || !messageId || typeof partId !== "string" || !partId || typeof delta !== "string") return;
        if (typeof field === "string" && field !== "text") return;
        const message = this.messages.get(messageId);
        if (!message) return this.wait(this.waitingForMessage, messageId, event);
        if (!message.ours) return;
        const part = this.parts.get(partId);
        if (!part) return this.wait(this.waitingForPart, partId, event);
        if ((part.kind === "text" || part.kind === "reasoning") && !part.ended && !part.held) {
          part.delivered += delta.length;
          this.emitText(part.kind, delta, partId, messageId, subagent, out);
        }
        return;
      }
      case "session.status": {
        if (subagent) return;
        const status = obj(p, "status");
        const type = str(status, "type");
        if (type === "idle") this.onIdle();
        else if (type === "busy" && this.userSeen && !this.busyAnnounced) {
          this.busyAnnounced = true;
          out.push(statusEvent({ state: "busy" }, "OpenCode is working on it…"));
        } else if (type === "retry") out.push(retryEvent(status));
        return;
      }
      case "session.idle":
        if (!subagent) this.onIdle();
        return;
      case "session.error": {
        const error = obj(p, "error") as OcError | undefined;
        if (!subagent) this.sessionErrorSeen = true;
        if (error) this.onError(error, subagent, out);
        return;
      }
      default: {
        // About 90 event types exist and new ones come with each release: all but a few pass by.
        if (event.type === "question.asked") {
          if (this.questionsSeen.has(str(p, "id") ?? "")) return;
          this.questionsSeen.add(str(p, "id") ?? "");
        }
        const side = sideEvent(event.type, p, origin, subagent);
        if (side) out.push(side);
      }
    }
  }

  private wait(map: Map<string, OcEvent[]>, key: string, event: OcEvent): void {
    const list = map.get(key);
    if (list) list.push(event);
    else map.set(key, [event]);
  }

  private replay(map: Map<string, OcEvent[]>, key: string, out: AgentEvent[]): void {
    const waiting = map.get(key);
    if (!waiting) return;
    map.delete(key);
    for (const event of waiting) this.dispatch(event, out);
  }

  private onIdle(): void {
    if (this.userSeen) this.idleSeen = true;
  }

  private onMessage(info: OcMessageInfo, subagent: SubagentRef | undefined, out: AgentEvent[]): void {
    let state = this.messages.get(info.id);
    if (!state) {
      if (info.role === "user" && !subagent) {
        if (info.id === this.userMessageId) this.userSeen = true;
        else if (this.userSeen) this.idleSeen = false; // a later prompt queued behind ours
      }
      const ours = info.role === "assistant" && (subagent !== undefined || this.anyAssistant || info.parentID === this.userMessageId);
      state = { ours, completed: false, usageEmitted: false };
      this.messages.set(info.id, state);
      if (ours && !subagent) {
        this.turns++;
        this.ownAssistants++;
        this.changes.learnProjectDir(info.path?.cwd);
      }
    }
    if (state.ours) {
      const done = info.time?.completed !== undefined || info.error !== undefined;
      if (!subagent) {
        if (done) this.pendingAssistants.delete(info.id);
        else if (!state.completed) this.pendingAssistants.add(info.id);
      }
      if (info.error) this.onError(info.error, subagent, out);
      if (done && !state.usageEmitted && info.tokens) {
        state.usageEmitted = true;
        const usage = usageOf(info);
        this.usage = addUsage(this.usage, usage);
        out.push(tokenUsageEvent(usage, info.id, subagent));
      }
      // The next prompt's id must sort after every message of the session (see message-id.ts).
      if (!subagent && info.id > this.newestMessageId) this.newestMessageId = info.id;
      state.completed ||= done;
    }
    this.replay(this.waitingForMessage, info.id, out);
  }

  private onPart(part: OcPart, subagent: SubagentRef | undefined, out: AgentEvent[]): void {
    const known = this.parts.get(part.id);
    if (part.type === "text" || part.type === "reasoning") {
      const kind: "text" | "reasoning" = part.type;
      const state =
        known?.kind === "text" || known?.kind === "reasoning"
          ? known
          : { kind, delivered: 0, ended: false, held: this.readingStorage || this.heldBeforeKnown.has(part.id) };
      if (!known) this.parts.set(part.id, state);
      if (!state.ended) {
        const text = part.text ?? "";
        if (text.length > state.delivered) {
          const suffix = text.slice(state.delivered);
          state.delivered = text.length;
          this.emitText(state.kind, suffix, part.id, part.messageID, subagent, out);
        }
        if (part.time?.end !== undefined) {
          state.ended = true;
          if (state.kind === "reasoning") out.push(thinkingDoneEvent(part.id, part.messageID, subagent));
        }
      }
    } else if (part.type === "tool") {
      const state = known?.kind === "tool" ? known : { kind: "tool" as const, useEmitted: false, resultEmitted: false };
      if (!known) this.parts.set(part.id, state);
      this.onTool(part, state, subagent, out);
    } else if (!known) {
      this.parts.set(part.id, { kind: "other" });
    }
    this.replay(this.waitingForPart, part.id, out);
  }

  private onTool(
    part: OcPart,
    state: { useEmitted: boolean; resultEmitted: boolean },
    subagent: SubagentRef | undefined,
    out: AgentEvent[],
  ): void {
    const s = part.state;
    // A pending tool has `input: {}`; the real input comes with `running`.
    if (!s || s.status === "pending" || state.resultEmitted) return;
    if (!state.useEmitted) {
      state.useEmitted = true;
      out.push(toolUseEvent(part, s, subagent));
    }
    if (s.status === "completed" || s.status === "error") {
      state.resultEmitted = true;
      this.changes.noteTool(part);
      out.push(toolResultEvent(part, s, subagent));
    }
  }

  private emitText(
    kind: "text" | "reasoning",
    content: string,
    partId: string,
    messageId: string,
    subagent: SubagentRef | undefined,
    out: AgentEvent[],
  ): void {
    const event = textEvent(kind, content, partId, messageId, subagent);
    if (event) out.push(event);
  }

  private onError(error: OcError, subagent: SubagentRef | undefined, out: AgentEvent[]): void {
    const message = error.data?.message ?? "";
    const key = `${subagent?.sessionId ?? ""}:${error.name}:${message}`;
    if (this.errorsSeen.has(key)) return; // session.error and the message's info.error repeat it
    this.errorsSeen.add(key);
    if (error.name === "MessageAbortedError" && this.stopRequested) return;
    if (!subagent) this.failed = true;
    out.push(serverErrorEvent(error, subagent));
  }
}
