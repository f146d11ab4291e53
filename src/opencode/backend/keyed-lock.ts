import { abortable } from "../../util/abortable.js";

/**
 * One holder at a time per key, in the order they asked: the runs of one conversation go one
 * after the other. A waiter whose signal aborts leaves at once, without holding up those behind.
 */
export class KeyedLock {
  /** Per key, what the next comer waits for: every earlier holder's release. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Waits for the key's earlier holders; returns the release. Rejects with the signal's reason when it aborts first. */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let resolveMine!: () => void;
    const mine = new Promise<void>((resolve) => {
      resolveMine = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    // Once everyone is through, the key is forgotten (unless someone queued behind meanwhile).
    const release = () => {
      resolveMine();
      void tail.then(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    };
    try {
      await abortable(previous, signal);
    } catch (error) {
      release(); // those behind now wait only for the ones before
      throw error;
    }
    return release;
  }
}
