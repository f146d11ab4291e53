import type { AgentEvent } from "../agent/events.js";

/**
 * The events of one run, numbered, kept in memory so that a client that lost its connection
 * can come back with `Last-Event-ID` and get exactly what it missed, and so that a run goes on
 * whether or not anybody is listening.
 *
 * Bounded: past `maxBytes` of serialised events the oldest are dropped (a client that asks for
 * one of those is told so, and reads the rest from the transcript). Each event is serialised
 * once, when it is logged, and every listener sends that same string.
 */
export interface LoggedEvent {
  /** 1, 2, 3… within the run. */
  seq: number;
  /** The SSE id: `<runId>-<seq>`, unique across runs and pocketpaw restarts. */
  id: string;
  type: AgentEvent["type"];
  /** The AgentEvent as JSON. */
  data: string;
}

export interface RunLogOptions {
  runId: string;
  key: string;
  text: string;
  maxBytes?: number;
}

/** What a reader gets after a given point: the events still kept, and whether some were dropped. */
export interface Since {
  entries: LoggedEvent[];
  /** Events between the reader's point and `entries[0]` are no longer kept. */
  gap: boolean;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export class RunLog {
  readonly runId: string;
  readonly key: string;
  /** The message that started the run. */
  readonly text: string;
  readonly startedAt = Date.now();
  finishedAt: number | undefined;
  private readonly maxBytes: number;
  private readonly entries: (LoggedEvent | undefined)[] = [];
  /** Index into `entries` of the first one still kept (dropping by index avoids O(n) shifts). */
  private head = 0;
  private bytes = 0;
  private nextSeq = 1;
  private readonly listeners = new Set<() => void>();

  constructor(options: RunLogOptions) {
    this.runId = options.runId;
    this.key = options.key;
    this.text = options.text;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  get finished(): boolean {
    return this.finishedAt !== undefined;
  }

  /** The last seq written so far (0 before the first event). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  append(event: AgentEvent): LoggedEvent {
    const seq = this.nextSeq++;
    const entry: LoggedEvent = { seq, id: `${this.runId}-${seq}`, type: event.type, data: JSON.stringify(event) };
    this.entries.push(entry);
    this.bytes += entry.data.length;
    while (this.bytes > this.maxBytes && this.head < this.entries.length - 1) {
      const dropped = this.entries[this.head];
      if (dropped) this.bytes -= dropped.data.length;
      this.entries[this.head] = undefined;
      this.head++;
    }
    // Compact now and then so the array does not grow for ever.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    this.notify();
    return entry;
  }

  finish(): void {
    if (this.finishedAt !== undefined) return;
    this.finishedAt = Date.now();
    this.notify();
  }

  /** The events after `seq` (0 = from the start). */
  since(seq: number): Since {
    const first = this.entries[this.head];
    if (!first) return { entries: [], gap: false };
    const start = Math.max(this.head, this.head + (seq + 1 - first.seq));
    return { entries: this.entries.slice(start) as LoggedEvent[], gap: seq + 1 < first.seq };
  }

  /** The seq a `Last-Event-ID` points at in this run; 0 (the start) for another run's or a bad one. */
  seqOf(lastEventId: string | undefined): number {
    if (!lastEventId) return 0;
    const dash = lastEventId.lastIndexOf("-");
    if (dash < 0 || lastEventId.slice(0, dash) !== this.runId) return 0;
    const seq = Number(lastEventId.slice(dash + 1));
    return Number.isSafeInteger(seq) && seq >= 0 && seq <= this.lastSeq ? seq : 0;
  }

  /** Calls `listener` after every change (new event, finish) until unsubscribed. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * Reads a run from after `seq`, live, until it is finished and everything is read, or `signal`
 * aborts. Yields batches (a burst of thousands of events is one batch, one write).
 */
export async function* followRun(log: RunLog, seq: number, signal: AbortSignal): AsyncGenerator<Since> {
  let wake: (() => void) | undefined;
  const unsubscribe = log.onChange(() => wake?.());
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const next = log.since(seq);
      const last = next.entries.at(-1);
      if (last) {
        seq = last.seq;
        yield next;
      }
      if (signal.aborted || (log.finished && seq >= log.lastSeq)) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        // An event may have arrived between since() and here.
        if (log.lastSeq > seq || log.finished || signal.aborted) resolve();
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}
