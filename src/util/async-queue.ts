/**
 * An unbounded single-consumer queue: producers push from callbacks, one consumer awaits items.
 * Used where a push-style source (the shared event connection) feeds a pull-style consumer (a
 * run's async generator). Unbounded on purpose: the server's own queue per subscriber is the
 * bound, and dropping here would lose output.
 */
export class AsyncQueue<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: ((item: T) => void) | undefined;

  push(item: T): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(item);
    } else {
      this.items.push(item);
    }
  }

  /** The next item; waits for one. */
  next(): Promise<T> {
    if (this.head < this.items.length) {
      const item = this.items[this.head++] as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve(item);
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
