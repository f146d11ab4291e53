import { type Block, type Markup, renderBlocks } from "./markup.js";
import { paginate } from "./split.js";
import { type ChannelAdapter, type ChatRef, MessageGoneError, type MessageRef } from "./types.js";

/** Something in the reply besides the agent's text: a tool step, a note. Rendered anew at each update. */
export interface Line {
  render(markup: Markup): string;
}

type Item = { text: string } | { line: Line };

export interface ReplyTarget {
  adapter: ChannelAdapter;
  chat: ChatRef;
  /** Waits for the chat's next slot (see Pacer). */
  pace(): Promise<void>;
  /** The message being answered. */
  replyTo?: string;
  /** A message already sent for this turn ("queued…") that the reply replaces. */
  placeholder?: MessageRef;
  /** Failures to send, for the log (the reply carries on). */
  onError(error: unknown): void;
}

interface Page {
  ref: MessageRef;
  text: string;
}

/**
 * The reply to one message as it is written: the agent's text and its tool steps, shown by
 * editing one message as it grows (at the chat's pace: whatever arrived while waiting for the
 * slot goes out in the same edit), continued in further messages past the platform's length.
 * `seal` ends the current messages, so that what follows a prompt or a file comes after it.
 */
export class LiveReply {
  private items: Item[] = [];
  private pages: Page[] = [];
  private dirty = false;
  private loop: Promise<void> | undefined;
  private shown = false;
  /** When the first text or line was handed over, and when it first became visible (ms since the epoch). */
  firstContentAt: number | undefined;
  firstShownAt: number | undefined;

  constructor(private readonly target: ReplyTarget) {
    if (target.placeholder) this.pages = [{ ref: target.placeholder, text: "" }];
  }

  appendText(text: string): void {
    if (!text) return;
    const last = this.items.at(-1);
    if (last && "text" in last) last.text += text;
    else this.items.push({ text });
    this.changed();
  }

  addLine(line: Line): void {
    this.items.push({ line });
    this.changed();
  }

  /** A line changed (a tool step finished). */
  changed(): void {
    this.firstContentAt ??= Date.now();
    this.dirty = true;
    this.loop ??= this.flushLoop().finally(() => {
      this.loop = undefined;
    });
  }

  /** Shows everything so far; what comes next starts a new message. */
  async seal(): Promise<void> {
    await this.settled();
    this.items = [];
    // An unused "queued…" message would stay above what follows: it goes.
    const unused = this.pages.find((p) => p.text === "");
    this.pages = [];
    if (unused) await this.target.adapter.delete(unused.ref).catch((error) => this.target.onError(error));
  }

  /** Shows everything; `empty` (rendered) is shown when the reply has nothing at all. */
  async finish(empty: string): Promise<void> {
    await this.settled();
    if (!this.shown || this.pages.some((p) => p.text === "")) {
      this.items.push({ line: { render: () => empty } });
      this.changed();
      await this.settled();
    }
  }

  private async settled(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private render(): string[] {
    const { markup, limits } = this.target.adapter;
    const blocks: Block[] = [];
    let afterLine = false;
    for (const item of this.items) {
      if ("text" in item) blocks.push(...renderBlocks(item.text, markup));
      else {
        // Lines in a row (tool steps) stay together, one per line.
        const text = item.line.render(markup);
        blocks.push({ text, source: text, render: (s) => s, tight: afterLine });
      }
      afterLine = !("text" in item);
    }
    return paginate(blocks, limits.messageLength, markup.measure);
  }

  private async flushLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      if (!this.render().some((text, i) => this.pages[i]?.text !== text)) continue;
      await this.target.pace();
      // Rendered again after the wait: it carries whatever arrived meanwhile.
      const pages = this.render();
      let paced = true;
      for (const [i, text] of pages.entries()) {
        if (this.pages[i]?.text === text) continue;
        if (!paced) await this.target.pace();
        paced = false;
        await this.show(i, text);
      }
    }
  }

  private async show(i: number, text: string): Promise<void> {
    const { adapter, chat, replyTo } = this.target;
    const page = this.pages[i];
    try {
      if (page) {
        try {
          await adapter.edit(page.ref, { text });
          page.text = text;
        } catch (error) {
          if (!(error instanceof MessageGoneError)) throw error;
          this.pages[i] = { ref: await adapter.send(chat, { text }), text };
        }
      } else {
        this.pages[i] = { ref: await adapter.send(chat, { text, ...(replyTo && i === 0 ? { replyTo } : {}) }), text };
      }
      this.shown = true;
      this.firstShownAt ??= Date.now();
    } catch (error) {
      // Not fatal: the next update of the reply tries again.
      this.target.onError(error);
    }
  }
}
