import { type AgentEvent, type ErrorCode, type SubagentRef, type TokenUsage, addUsage, emptyUsage } from "../../agent/events.js";
import { type OcError, type OcEvent, type OcMessage, type OcMessageInfo, type OcPart, eventSessionId, obj, str } from "../rest/wire.js";

/**
 * The one place where OpenCode events become AgentEvents: a state machine for one run (one
 * prompt of one session, plus the child sessions its subagents work in). It does no I/O; the
 * backend feeds it events from the live stream and, after a gap, the stored messages
 * (`resync`), and it emits each piece of output exactly once whichever way it learned of it.
 *
 * Text is tracked per part as the count of characters delivered, never the text itself, so a run
 * of a million deltas holds a few numbers per part.
 */

interface MessageState {
  ours: boolean;
  completed: boolean;
  usageEmitted: boolean;
}

type PartState =
  /** `held`: deltas were missed in a gap, so the text is completed from the part's final form. */
  | { kind: "text" | "reasoning"; delivered: number; ended: boolean; held: boolean }
  | { kind: "tool"; useEmitted: boolean; resultEmitted: boolean }
  | { kind: "other" };

export interface TranslatorOptions {
  /** The conversation's OpenCode session. */
  sessionId: string;
  /** The id of the user message this run sent: assistant messages answering it are the run's. */
  userMessageId: string;
  /** Every assistant message is the run's (a stream that carries only this run, like NDJSON). */
  anyAssistant?: boolean;
}

export class TurnTranslator {
  readonly sessionId: string;
  readonly userMessageId: string;
  private readonly anyAssistant: boolean;
  /** Model steps so far: assistant messages in the conversation's own session. */
  turns = 0;
  /** Set before stopping the run, so the server's "aborted" is not reported as a failure. */
  stopRequested = false;
  failed = false;
  /** Tokens and cost of every completed step so far, subagents' included. */
  usage: TokenUsage = emptyUsage();
  /** The newest message id of the conversation's session seen in this run. */
  newestMessageId = "";

  private readonly messages = new Map<string, MessageState>();
  private readonly parts = new Map<string, PartState>();
  /** Events of messages whose role is not known yet (a part may arrive before its message). */
  private readonly waitingForMessage = new Map<string, OcEvent[]>();
  /** Deltas of parts whose type is not known yet (a delta may arrive before its part). */
  private readonly waitingForPart = new Map<string, OcEvent[]>();
  private readonly errorsSeen = new Set<string>();
  /** Parts whose deltas were waiting when a gap happened (see markGap). */
  private readonly heldBeforeKnown = new Set<string>();
  /** A part first met in storage may have streamed deltas this client never saw: hold it. */
  private readingStorage = false;
  private userSeen = false;
  private busyAnnounced = false;
  private idleSeen = false;
  private sessionErrorSeen = false;
  private readonly pendingAssistants = new Set<string>();
  private ownAssistants = 0;

  constructor(options: TranslatorOptions) {
    this.sessionId = options.sessionId;
    this.userMessageId = options.userMessageId;
    this.anyAssistant = options.anyAssistant ?? false;
  }

  /**
   * The run is over: the session went idle after our prompt, every assistant message answering
   * it is complete (or failed), and there was at least one such message or a session error.
   * (Servers send idle before the aborted message's final update, so idle alone is not enough.)
   */
  get complete(): boolean {
    return (
      this.userSeen &&
      this.idleSeen &&
      this.pendingAssistants.size === 0 &&
      (this.ownAssistants > 0 || this.sessionErrorSeen)
    );
  }

  /** Idle was seen but the run is not complete: the backend should look at storage after a while. */
  get idleButIncomplete(): boolean {
    return this.idleSeen && !this.complete;
  }

  handle(event: OcEvent): AgentEvent[] {
    const out: AgentEvent[] = [];
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
          out.push({
            type: "error",
            content: "OpenCode stopped working on this turn without finishing it (was the server restarted?): the answer may be cut short. Ask again to continue.",
            metadata: { code: "session" },
          });
        }
        this.pendingAssistants.clear();
      }
    }
    return out;
  }

  private dispatch(event: OcEvent, out: AgentEvent[]): void {
    const p = event.properties ?? {};
    const origin = eventSessionId(event) ?? this.sessionId;
    const subagent = origin === this.sessionId ? undefined : { sessionId: origin };
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
          out.push({ type: "status", content: "OpenCode is working on it…", metadata: { state: "busy" } });
        } else if (type === "retry") {
          const attempt = Number(status?.attempt ?? 0);
          const next = typeof status?.next === "number" ? status.next : undefined;
          const message = str(status, "message") ?? "the model provider failed";
          out.push({
            type: "status",
            content: `The model provider failed (${message}); OpenCode retries (attempt ${attempt}).`,
            metadata: { state: "retrying", attempt, message, ...(next ? { nextAt: next } : {}) },
          });
        }
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
      case "permission.asked":
        this.onPermission(
          str(p, "id"),
          str(p, "permission"),
          Array.isArray(p.patterns) ? p.patterns.map(String) : [],
          Array.isArray(p.always) ? p.always.map(String) : [],
          origin,
          subagent,
          out,
        );
        return;
      case "permission.updated": // OpenCode 1.0's name and shape for the same request
        this.onPermission(
          str(p, "id"),
          str(p, "type"),
          [p.pattern].flat().filter((x): x is string => typeof x === "string"),
          [],
          origin,
          subagent,
          out,
        );
        return;
      default:
        return; // about 90 event types exist and new ones come with each release
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
        out.push({ type: "token_usage", content: "", metadata: { ...usage, messageId: info.id, ...(subagent ? { subagent } : {}) } });
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
      const state = known?.kind === "text" || known?.kind === "reasoning" ? known : { kind, delivered: 0, ended: false, held: this.readingStorage || this.heldBeforeKnown.has(part.id) };
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
          if (state.kind === "reasoning") {
            out.push({ type: "thinking_done", content: "", metadata: { partId: part.id, messageId: part.messageID, ...(subagent ? { subagent } : {}) } });
          }
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
    const name = part.tool ?? "tool";
    const callId = part.callID ?? part.id;
    const extra = { ...(s.title ? { title: s.title } : {}), ...(subagent ? { subagent } : {}) };
    if (!state.useEmitted) {
      state.useEmitted = true;
      const input = s.input ?? {};
      const summary = summarizeToolInput(input);
      out.push({ type: "tool_use", content: summary ? `${name} ${summary}` : name, metadata: { name, input, callId, summary, ...extra } });
    }
    if (s.status === "completed" || s.status === "error") {
      state.resultEmitted = true;
      const isError = s.status === "error";
      out.push({ type: "tool_result", content: isError ? (s.error ?? "the tool failed") : wholeOutput(s), metadata: { name, callId, isError, ...extra } });
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
    if (kind === "reasoning") {
      out.push({ type: "thinking", content, metadata: { partId, messageId, ...(subagent ? { subagent } : {}) } });
    } else if (!subagent) {
      // A subagent's prose is its answer to the calling agent, not to the user: it reaches the
      // conversation as the task tool's result.
      out.push({ type: "message", content, metadata: { partId, messageId } });
    }
  }

  private onPermission(
    id: string | undefined,
    permission: string | undefined,
    patterns: string[],
    always: string[],
    sessionId: string,
    subagent: SubagentRef | undefined,
    out: AgentEvent[],
  ): void {
    if (!id) return;
    const what = permission ?? "a tool";
    out.push({
      type: "permission_request",
      content: `OpenCode asks permission for ${what}${patterns.length ? `: ${patterns.join(", ")}` : ""}`,
      metadata: { id, permission: what, patterns, always, sessionId, ...(subagent ? { subagent } : {}) },
    });
  }

  private onError(error: OcError, subagent: SubagentRef | undefined, out: AgentEvent[]): void {
    const message = error.data?.message ?? "";
    const key = `${subagent?.sessionId ?? ""}:${error.name}:${message}`;
    if (this.errorsSeen.has(key)) return; // session.error and the message's info.error repeat it
    this.errorsSeen.add(key);
    if (error.name === "MessageAbortedError" && this.stopRequested) return;
    if (!subagent) this.failed = true;
    const { code, text } = describeError(error);
    out.push({
      type: "error",
      content: text,
      metadata: {
        code,
        name: error.name,
        ...(typeof error.data?.statusCode === "number" ? { statusCode: error.data.statusCode } : {}),
        ...(subagent ? { subagent } : {}),
      },
    });
  }
}

/** A stored message as the events that would have announced it. */
export function messageEvents(m: OcMessage): OcEvent[] {
  const sessionID = m.info.sessionID;
  return [
    { type: "message.updated", properties: { sessionID, info: m.info } },
    ...(m.parts ?? []).map((part) => ({ type: "message.part.updated", properties: { sessionID, part } })),
  ];
}

function usageOf(info: OcMessageInfo): TokenUsage {
  const t = info.tokens ?? {};
  return {
    input: t.input ?? 0,
    output: t.output ?? 0,
    reasoning: t.reasoning ?? 0,
    cacheRead: t.cache?.read ?? 0,
    cacheWrite: t.cache?.write ?? 0,
    cost: info.cost ?? 0,
  };
}

/** The server cuts a long bash output in `output`; the whole text is then in `metadata.output`. */
function wholeOutput(s: { output?: string; metadata?: Record<string, unknown> }): string {
  const output = s.output ?? "";
  const full = s.metadata?.output;
  return typeof full === "string" && full.length > output.length ? full : output;
}

/** One line saying what a tool is about to do; the whole input is in the metadata. */
/** A tool's input in a few words: its main argument, else the whole input as JSON, on one line. */
function summarizeToolInput(input: Record<string, unknown>): string {
  const main = ["command", "filePath", "path", "pattern", "url", "description", "prompt"]
    .map((k) => input[k])
    .find((v): v is string => typeof v === "string");
  const text = main ?? (Object.keys(input).length ? JSON.stringify(input) : "");
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

function describeError(error: OcError): { code: ErrorCode; text: string } {
  const message = error.data?.message ?? "";
  const status = error.data?.statusCode;
  switch (error.name) {
    case "APIError":
      return {
        code: "provider",
        text: `The model provider failed${status ? ` (HTTP ${status})` : ""}: ${message || "no details"}. Check the provider's status and the model configured on the OpenCode server.`,
      };
    case "ProviderAuthError":
      return { code: "provider_auth", text: `The model provider refused OpenCode's credentials: ${message}. Run \`opencode auth login\` on the server.` };
    case "MessageOutputLengthError":
      return { code: "output_length", text: "The model's answer hit its output length limit and was cut off." };
    case "ContextOverflowError":
      return { code: "context_overflow", text: `The conversation no longer fits the model's context: ${message}. Start a new conversation.` };
    case "MessageAbortedError":
      return { code: "aborted", text: "The run was stopped on the OpenCode server." };
    default:
      return { code: "session", text: `OpenCode reported ${error.name}${message ? `: ${message}` : ""}.` };
  }
}
