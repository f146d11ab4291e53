import { Pacer } from "./pacer.js";
import type { ChannelAdapter, ChatRef, MessageRef, Outgoing } from "./types.js";

/** The key of a chat (and thread) within its channel: "12345", "-100987:42". */
export function chatKey(chat: ChatRef): string {
  return chat.thread ? `${chat.id}:${chat.thread}` : chat.id;
}

/**
 * Headroom over the adapter's interval. Platforms count what arrives, and what leaves here a
 * second apart arrives a few tens of ms closer or further (the library's queues, the network,
 * a busy event loop): paced at exactly the limit, a stream of edits would reach it at the
 * limit's rate or a little over. 5% wider keeps the rate a platform sees under its limit.
 */
export const PACE_HEADROOM = 1.05;

/**
 * The adapter's sending, paced per chat: every message the core sends or edits goes through
 * here, so a reply being streamed, a prompt and a notice in the same chat share its rate.
 */
export class Messenger {
  private readonly pacer = new Pacer();

  constructor(readonly adapter: ChannelAdapter) {}

  get markup() {
    return this.adapter.markup;
  }

  /** How a command is written in this channel: "/new", or "!new" on Slack. */
  command(name: string): string {
    return `${this.adapter.commandPrefix ?? "/"}${name}`;
  }

  pace(chat: ChatRef): Promise<void> {
    return this.pacer.slot(chatKey(chat), this.adapter.limits.intervalMs(chat) * PACE_HEADROOM);
  }

  async send(chat: ChatRef, message: Outgoing): Promise<MessageRef> {
    await this.pace(chat);
    return this.adapter.send(chat, message);
  }

  async edit(ref: MessageRef, message: Outgoing): Promise<void> {
    await this.pace(ref.chat);
    await this.adapter.edit(ref, message);
  }
}
