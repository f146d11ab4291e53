/**
 * Spaces what is sent to each chat: platforms refuse (429) a bot that posts or edits faster
 * than they allow in one chat (Telegram: about one message a second, twenty a minute in a
 * group), and a refusal costs more time than waiting. Each call reserves the chat's next slot
 * and resolves when it comes, so callers never have to coordinate.
 */
export class Pacer {
  private readonly next = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Resolves when a message may be sent or edited in chat `key`, `intervalMs` after the one before. */
  async slot(key: string, intervalMs: number): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.next.get(key) ?? 0);
    this.next.set(key, at + intervalMs);
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}
