import { randomBytes } from "node:crypto";
import type { AgentBackend, Attachment } from "../agent/backend.js";
import { driveRun } from "../agent/run-driver.js";
import { HttpError } from "./http-error.js";
import { RunLog } from "./run-log.js";

export interface RunRequest {
  /** What the person wrote, as shown (for a command: `/name arguments`). */
  text: string;
  /** What is sent: the prompt, or the command's arguments; default `text`. */
  prompt?: string;
  model?: string;
  agent?: string;
  command?: string;
  files?: Attachment[];
  maxTurns?: number;
}

export interface ConversationRunsOptions {
  /** Runs going at once across all conversations (PocketPaw's agent loop allows 5 by default). */
  maxActive?: number;
  /** Finished runs whose events stay readable (the most recent ones). */
  keepFinished?: number;
  /** Per run, see RunLog. */
  maxBytes?: number;
}

/**
 * The runs the web front end started: one at a time per conversation, each pumped from the
 * backend into a RunLog by this process, so a run goes on (and is stopped on the server only when
 * asked) whatever happens to the HTTP connection that started it.
 */
export class ConversationRuns {
  /** key → the conversation's current or last run; Map order = least recently started first. */
  private readonly logs = new Map<string, RunLog>();
  private readonly stoppers = new Map<RunLog, AbortController>();
  private readonly pumps = new Set<Promise<void>>();
  /** Makes run ids (and so SSE ids) differ across restarts of pocketpaw. */
  private readonly bootId = randomBytes(4).toString("hex");
  private counter = 0;
  /** Conversations with an operation going on (undo, compact, …) → what it is. */
  private readonly operations = new Map<string, string>();
  private readonly maxActive: number;
  private readonly keepFinished: number;

  constructor(
    private readonly backend: AgentBackend,
    private readonly options: ConversationRunsOptions = {},
  ) {
    this.maxActive = options.maxActive ?? 5;
    this.keepFinished = options.keepFinished ?? 20;
  }

  get(key: string): RunLog | undefined {
    return this.logs.get(key);
  }

  isRunning(key: string): boolean {
    const log = this.logs.get(key);
    return log !== undefined && !log.finished;
  }

  running(): RunLog[] {
    return [...this.logs.values()].filter((log) => !log.finished);
  }

  start(key: string, request: RunRequest): RunLog {
    this.assertIdle(key);
    if (this.running().length >= this.maxActive) {
      throw new HttpError(429, "too_many_runs", `${this.maxActive} turns are already running; try again when one has ended.`, 5);
    }
    this.counter++;
    const log = new RunLog({
      runId: `${this.bootId}${this.counter.toString(36)}`,
      key,
      text: request.text,
      ...(this.options.maxBytes ? { maxBytes: this.options.maxBytes } : {}),
    });
    this.logs.delete(key);
    this.logs.set(key, log);
    this.prune();
    const stopper = new AbortController();
    this.stoppers.set(log, stopper);
    const pump = this.pump(log, request, stopper.signal).finally(() => {
      this.pumps.delete(pump);
      this.stoppers.delete(log);
    });
    this.pumps.add(pump);
    return log;
  }

  /**
   * Runs an operation on the conversation (undo, redo, fork, compact) while no turn runs in it:
   * 409 busy when one does, and no turn starts (nor another operation) until it is over.
   */
  async exclusive<T>(key: string, what: string, operation: () => Promise<T>): Promise<T> {
    this.assertIdle(key);
    this.operations.set(key, what);
    try {
      return await operation();
    } finally {
      this.operations.delete(key);
    }
  }

  /** 409 busy when a turn runs in the conversation or an operation is going on. */
  assertIdle(key: string): void {
    if (this.isRunning(key)) {
      const stop = `POST /api/conversations/${encodeURIComponent(key)}/stop`;
      throw new HttpError(409, "busy", `A turn is already running in conversation "${key}": wait for it to end, or stop it (${stop}).`, 1);
    }
    const operation = this.operations.get(key);
    if (operation) throw new HttpError(409, "busy", `Conversation "${key}" is busy (${operation}); try again when that is done.`, 1);
  }

  /**
   * Stops the conversation's run on the server; false when none is running. Through the run's
   * signal rather than `backend.stop(key)`, which only knows a run once its prompt is sent.
   */
  stop(key: string): boolean {
    const log = this.logs.get(key);
    const stopper = log && this.stoppers.get(log);
    if (!log || log.finished || !stopper) return false;
    stopper.abort();
    return true;
  }

  /** Forgets the conversation's last run (a running one is stopped first). */
  forget(key: string): void {
    this.stop(key);
    this.logs.delete(key);
  }

  /** Stops every run and waits (bounded) for them to end. */
  async close(timeoutMs = 15_000): Promise<void> {
    for (const stopper of this.stoppers.values()) stopper.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.pumps]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** The run into its log, on the run driver (which ends every run with `done`); permissions and questions wait for the API. */
  private async pump(log: RunLog, request: RunRequest, signal: AbortSignal): Promise<void> {
    try {
      const run = {
        sessionKey: log.key,
        signal,
        ...(request.model ? { model: request.model } : {}),
        ...(request.agent ? { agent: request.agent } : {}),
        ...(request.command ? { command: request.command } : {}),
        ...(request.files?.length ? { files: request.files } : {}),
        ...(request.maxTurns !== undefined ? { maxTurns: request.maxTurns } : {}),
      };
      await driveRun(this.backend, request.prompt ?? request.text, { run, onEvent: (event) => void log.append(event) });
    } finally {
      log.finish();
    }
  }

  /** Keeps the most recent finished runs; running ones are never dropped. */
  private prune(): void {
    let finished = [...this.logs.values()].filter((log) => log.finished).length;
    for (const [key, log] of this.logs) {
      if (finished <= this.keepFinished) break;
      if (!log.finished) continue;
      this.logs.delete(key);
      finished--;
    }
  }
}
