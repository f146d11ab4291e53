/**
 * An unbounded single-consumer queue: producers push from callbacks, one consumer awaits items.
 * Used where a push-style source (the shared event connection) feeds a pull-style consumer (a
 * run's async generator). Unbounded on purpose: the server's own queue per subscriber is the
 * bound, and dropping here would lose output.
 */
export class AsyncQueue<T> {
  private items: T[] = [];
  private head = 0;
  /** The consumer waiting for the queue to be non-empty. */
  private wake: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    const wake = this.wake;
    if (wake) {
      this.wake = undefined;
      wake();
    }
  }

  /** The next item; waits for one. */
  async next(): Promise<T> {
    if (this.head === this.items.length) await this.arrival();
    const item = this.items[this.head++] as T;
    if (this.head === this.items.length) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /**
   * Every item queued, in order; waits for one. A burst pushed in one go (the event hub hands
   * over a whole chunk of the stream synchronously) is taken in one wake-up, not a promise round
   * trip per item.
   */
  async nextBatch(): Promise<T[]> {
    if (this.head === this.items.length) await this.arrival();
    const batch = this.head === 0 ? this.items : this.items.slice(this.head);
    this.clear();
    return batch;
  }

  private arrival(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private clear(): void {
    this.items = [];
    this.head = 0;
  }
}
