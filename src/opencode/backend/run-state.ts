import type { RunStatus } from "../../agent/backend.js";
import { type DoneEvent, doneEvent, type ErrorEvent, errorEvent } from "../../agent/events.js";
import { OpenCodeError } from "../rest/errors.js";
import type { TurnTranslator } from "../translate/translate.js";
import type { TurnRequest } from "./turn-request.js";

/**
 * What one run knows beyond its translator: its session, how it is ending (stopped, failed
 * outside the translator, past the turn limit), and so the `done` it ends with. Progress (steps,
 * usage, the newest message id) is read from the translator, never copied.
 */
export class RunState {
  sessionId: string | undefined;
  stopped = false;
  private maxTurnsHit = false;
  private failed = false;
  private translator: TurnTranslator | undefined;

  constructor(
    private readonly key: string,
    /** Model steps allowed; 0 = unlimited. */
    private readonly maxTurns: number,
    private readonly startedAt = Date.now(),
  ) {}

  /** The translator of the run's prompt, from when the prompt is about to be sent. */
  begin(translator: TurnTranslator): TurnTranslator {
    this.translator = translator;
    return translator;
  }

  get turns(): number {
    return this.translator?.turns ?? 0;
  }

  /** The newest message id of the session this run saw (its prompt's, then its answers'): the next prompt sorts after it. */
  get newestMessageId(): string {
    return this.translator?.newestMessageId ?? "";
  }

  /** The run is being stopped on the server, on request or at the turn limit: the server's "aborted" is no failure then. */
  stopping(why: "stop" | "max_turns"): void {
    this.translator?.requestStop();
    if (why === "stop") this.stopped = true;
  }

  /** Past the turn limit: the max_turns error, once; the caller then stops the run on the server. */
  turnLimitReached(): ErrorEvent | undefined {
    if (this.maxTurns <= 0 || this.turns <= this.maxTurns || this.maxTurnsHit) return undefined;
    this.maxTurnsHit = true;
    const steps = `${this.maxTurns} model step${this.maxTurns === 1 ? "" : "s"}`;
    return errorEvent("max_turns", `Stopped after ${steps}: the turn limit (POCKETPAW_OPENCODE_MAX_TURNS or --max-turns) was reached.`);
  }

  /** A failure outside the translator (the server, the prompt, the stream), as the run's error event. */
  fail(error: unknown): ErrorEvent {
    this.failed = true;
    if (error instanceof OpenCodeError) return errorEvent(error.code, error.message);
    return errorEvent("unknown", `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
  }

  done(): DoneEvent {
    const t = this.translator;
    return doneEvent({
      stopped: this.stopped,
      failed: this.failed || (t?.failed ?? false),
      maxTurnsHit: this.maxTurnsHit,
      sessionId: this.sessionId,
      usage: t?.usage,
      turns: this.turns,
    });
  }

  /** For `status()`: the run as it stands now. */
  status(): RunStatus {
    return { sessionKey: this.key, sessionId: this.sessionId ?? "", startedAt: this.startedAt, turns: this.turns };
  }
}

/** What following one turn needs, whichever protocol the server speaks. */
export interface Turn {
  run: RunState;
  sessionId: string;
  /** The newest message id the conversation had: the prompt's own id must sort after it (message-id.ts). */
  after: string;
  /** The prompt (or command), sent under the user message id the follower chooses. */
  request: TurnRequest;
  /** Aborted when the run is to stop (the caller's signal, or `stop(sessionKey)`). */
  signal: AbortSignal;
}
