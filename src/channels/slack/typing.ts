import type { webApi } from "@slack/bolt";
import type { ChatRef } from "../core/types.js";
import { slackCode } from "./errors.js";

interface Shown {
  channel: string;
  ts: string;
  timer: NodeJS.Timeout;
  added: Promise<void>;
}

/**
 * Slack has no typing indicator for bots, so "the agent is working" is a reaction on the
 * message being answered, added when the core first shows typing for it and removed once the
 * core stops renewing it (the turn ended, or waits for a button): the core renews typing every
 * few seconds while the agent works, and each renewal only pushes the removal back, so a turn
 * costs two API calls however long it runs.
 */
export class TypingReactions {
  private readonly shown = new Map<string, Shown>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly name: string,
    private readonly lastsMs: number,
  ) {}

  async show(chat: ChatRef, about: string): Promise<void> {
    const key = `${chat.id}/${about}`;
    const current = this.shown.get(key);
    if (current) {
      current.timer.refresh();
      return current.added;
    }
    const added = this.client.reactions
      .add({ channel: chat.id, timestamp: about, name: this.name })
      .then(() => {})
      .catch((error) => {
        // Already there (a second pocketpaw, a restart): it still comes off at the end.
        if (slackCode(error) !== "already_reacted") throw error;
      });
    const timer = setTimeout(() => void this.remove(key), this.lastsMs);
    this.shown.set(key, { channel: chat.id, ts: about, timer, added });
    return added;
  }

  /** Takes every reaction still shown off (when the channel stops). */
  async clear(): Promise<void> {
    await Promise.all([...this.shown.keys()].map((key) => this.remove(key)));
  }

  private async remove(key: string): Promise<void> {
    const shown = this.shown.get(key);
    if (!shown) return;
    this.shown.delete(key);
    clearTimeout(shown.timer);
    const added = await shown.added.then(
      () => true,
      () => false,
    );
    if (!added) return;
    await this.client.reactions.remove({ channel: shown.channel, timestamp: shown.ts, name: this.name }).catch(() => {
      // Best effort: the message may be gone, or someone took the reaction off already.
    });
  }
}
