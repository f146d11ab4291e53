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

/** The items shown in a run of messages; a reply has several when prompts or files come between. */
interface Segment {
  items: Item[];
  pages: Page[];
  /** No new messages any more (a prompt or a file came after it); its messages may still be edited. */
  sealed: boolean;
}

/**
 * The reply to one message as it is written: the agent's text and its tool steps, shown by
 * editing one message as it grows (at the chat's pace: whatever arrived while waiting for the
 * slot goes out in the same edit), continued in further messages past the platform's length.
 * `seal` ends the current messages, so that what follows a prompt or a file comes after it;
 * a tool step shown before the prompt still gets its ✓ there.
 */
export class LiveReply {
  private readonly segments: Segment[];
  private dirty = false;
  private loop: Promise<void> | undefined;
  private shown = false;

  constructor(private readonly target: ReplyTarget) {
    this.segments = [{ items: [], pages: target.placeholder ? [{ ref: target.placeholder, text: "" }] : [], sealed: false }];
  }

  private get current(): Segment {
    return this.segments.at(-1) as Segment;
  }

  appendText(text: string): void {
    if (!text) return;
    const last = this.current.items.at(-1);
    if (last && "text" in last) last.text += text;
    else this.current.items.push({ text });
    this.changed();
  }

  addLine(line: Line): void {
    this.current.items.push({ line });
    this.changed();
  }

  /** Something shown changed (a tool step finished): the messages are brought up to date. */
  changed(): void {
    this.dirty = true;
    this.loop ??= this.flushLoop().finally(() => {
      this.loop = undefined;
    });
  }

  /** Shows everything so far; what comes next starts a new message. */
  async seal(): Promise<void> {
    await this.settled();
    const segment = this.current;
    // An unused "queued…" message would stay above what follows: it goes.
    const unused = segment.pages.find((p) => p.text === "");
    segment.pages = segment.pages.filter((p) => p !== unused);
    segment.sealed = true;
    this.segments.push({ items: [], pages: [], sealed: false });
    if (unused) await this.target.adapter.delete(unused.ref).catch((error) => this.target.onError(error));
  }

  /** Shows everything; `empty` (rendered) is shown when the reply has nothing at all. */
  async finish(empty: string): Promise<void> {
    await this.settled();
    if (!this.shown || this.current.pages.some((p) => p.text === "")) {
      this.current.items.push({ line: { render: () => empty } });
      this.changed();
      await this.settled();
    }
  }

  private async settled(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /** The segment's pages; a sealed one keeps the number of messages it has. */
  private render(segment: Segment): string[] {
    const { markup, limits } = this.target.adapter;
    const blocks: Block[] = [];
    let afterLine = false;
    for (const item of segment.items) {
      if ("text" in item) blocks.push(...renderBlocks(item.text, markup));
      else {
        // Lines in a row (tool steps) stay together, one per line.
        const text = item.line.render(markup);
        blocks.push({ text, source: text, render: (s) => s, tight: afterLine });
      }
      afterLine = !("text" in item);
    }
    const pages = paginate(blocks, limits.messageLength, markup.measure);
    return segment.sealed ? pages.slice(0, segment.pages.length) : pages;
  }

  private stale(): boolean {
    return this.segments.some((segment) => this.render(segment).some((text, i) => segment.pages[i]?.text !== text));
  }

  private async flushLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      if (!this.stale()) continue;
      await this.target.pace();
      // Rendered again after the wait: it carries whatever arrived meanwhile.
      let paced = true;
      for (const segment of this.segments) {
        for (const [i, text] of this.render(segment).entries()) {
          if (segment.pages[i]?.text === text) continue;
          if (!paced) await this.target.pace();
          paced = false;
          await this.show(segment, i, text);
        }
      }
    }
  }

  private async show(segment: Segment, i: number, text: string): Promise<void> {
    const { adapter, chat, replyTo } = this.target;
    const page = segment.pages[i];
    try {
      if (page) {
        try {
          await adapter.edit(page.ref, { text });
          page.text = text;
        } catch (error) {
          if (!(error instanceof MessageGoneError)) throw error;
          segment.pages[i] = { ref: await adapter.send(chat, { text }), text };
        }
      } else {
        const first = segment === this.segments[0] && i === 0;
        segment.pages[i] = { ref: await adapter.send(chat, { text, ...(replyTo && first ? { replyTo } : {}) }), text };
      }
      this.shown = true;
    } catch (error) {
      // Not fatal: the next update of the reply tries again.
      this.target.onError(error);
    }
  }
}
