/**
 * Spaces what is sent to each chat: platforms refuse (429) a bot that posts or edits faster
 * than they allow in one chat (Telegram: about one message a second, twenty a minute in a
 * group), and a refusal costs more time than waiting. Each call takes the chat's next slot
 * and resolves when it comes, so callers never have to coordinate.
 *
 * A slot comes `intervalMs` after the previous one actually came, not after it was due: a
 * timer that fires late (a busy event loop) must not be made up for by sending the next
 * message sooner, which would put two of them less than the interval apart.
 */
export class Pacer {
  /** Per chat: when its latest slot came (pending while it waits). */
  private readonly last = new Map<string, Promise<number>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Resolves when a message may be sent or edited in chat `key`, `intervalMs` after the one before. */
  async slot(key: string, intervalMs: number): Promise<void> {
    const previous = this.last.get(key);
    const mine = previous ? previous.then((at) => this.at(at + intervalMs)) : Promise.resolve(this.now());
    this.last.set(key, mine);
    await mine;
  }

  /** Waits until `due`; returns when it resumed. */
  private async at(due: number): Promise<number> {
    const wait = due - this.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return this.now();
  }
}
