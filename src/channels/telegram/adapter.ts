import { autoRetry } from "@grammyjs/auto-retry";
import { apiThrottler } from "@grammyjs/transformer-throttler";
import { Bot, type Context, GrammyError, InputFile } from "grammy";
import type { Message, Update } from "grammy/types";
import { describe } from "../core/text.js";
import {
  type Button,
  type ChannelAdapter,
  type ChannelLimits,
  type ChannelState,
  type ChatRef,
  type CommandSpec,
  type Inbox,
  type IncomingFile,
  MessageGoneError,
  type MessageRef,
  type Outgoing,
} from "../core/types.js";
import { telegramError } from "./errors.js";
import { telegramHtml, visibleText } from "./html.js";

/** grammY's Node build types signals with a polyfill's type; Node's own are the same at run time. */
type PolyfilledSignal = Parameters<Bot["init"]>[0];

export interface TelegramOptions {
  token: string;
  /** https://api.telegram.org, a self-hosted Bot API server, or a test's fake. */
  apiRoot: string;
  /** Long-polling wait of getUpdates (default 25 s). */
  pollTimeoutSeconds?: number;
  /** Least time between two messages sent or edited in one chat (default 1000 ms; 3000 ms in groups). */
  intervalMs?: { private: number; group: number };
  /** Told when polling fails and recovers. */
  onState?(state: ChannelState["state"], detail: string): void;
}

/**
 * Telegram through grammY: its API client (with auto-retry, which waits out 429s, and a
 * throttler for the bot-wide 30 messages a second) and its update parsing, but our own
 * getUpdates loop, so that the update offset lives in the channels' store and advances in the
 * same transaction that records the turn (see Inbox).
 */
export class TelegramAdapter implements ChannelAdapter {
  readonly name = "telegram";
  readonly markup = telegramHtml;
  readonly limits: ChannelLimits;
  botName = "";
  private readonly bot: Bot;
  private inbox: Inbox | undefined;
  private readonly stopper = new AbortController();
  private poller: Promise<void> | undefined;
  /** The offset after the update being handled, and whether the core took it. */
  private handling: { cursor: string; accepted: boolean } | undefined;

  constructor(private readonly o: TelegramOptions) {
    const interval = o.intervalMs ?? { private: 1000, group: 3000 };
    this.limits = {
      messageLength: 4096,
      intervalMs: (chat) => (chat.group ? interval.group : interval.private),
      typingMs: 5000,
      buttonDataBytes: 64,
    };
    this.bot = new Bot(o.token, { client: { apiRoot: o.apiRoot } });
    // Per-chat pacing is the core's (Pacer); the throttler keeps the whole bot under 30 a second.
    this.bot.api.config.use(apiThrottler({ out: {}, group: {} }));
    this.bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 120 }));
    this.bot.on("message", (ctx) => this.onMessage(ctx));
    this.bot.on("callback_query:data", (ctx) => this.onPress(ctx));
  }

  async start(inbox: Inbox): Promise<void> {
    try {
      await this.bot.init(this.stopper.signal as PolyfilledSignal);
    } catch (error) {
      throw telegramError(error, "connect");
    }
    this.botName = `@${this.bot.botInfo.username}`;
    this.inbox = inbox;
    this.poller = this.poll(inbox);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.poller;
  }

  private async poll(inbox: Inbox): Promise<void> {
    const signal = this.stopper.signal;
    let offset = Number(inbox.cursor() ?? 0);
    let failures = 0;
    while (!signal.aborted) {
      let updates: Update[];
      try {
        updates = await this.bot.api.getUpdates(
          { offset, timeout: this.o.pollTimeoutSeconds ?? 25, allowed_updates: ["message", "callback_query"] },
          signal as PolyfilledSignal,
        );
        if (failures) this.o.onState?.("running", `${this.botName}: receiving again`);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        const problem = telegramError(error, "receive messages");
        if (problem.permanent) {
          this.o.onState?.("failed", problem.message);
          break;
        }
        const wait = Math.min(30_000, 500 * 2 ** failures);
        this.o.onState?.("retrying", `${problem.message} Trying again in ${Math.round(wait / 1000)} s.`);
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      for (const update of updates) {
        if (signal.aborted) break;
        const cursor = String(update.update_id + 1);
        this.handling = { cursor, accepted: false };
        try {
          await this.bot.handleUpdate(update);
        } catch (error) {
          this.o.onState?.("running", `could not read update ${update.update_id}: ${describe(error)}`);
        }
        if (!this.handling.accepted && !signal.aborted) inbox.skip(cursor);
        this.handling = undefined;
        offset = update.update_id + 1;
      }
    }
  }

  private take(): string | undefined {
    if (!this.handling) return undefined;
    this.handling.accepted = true;
    return this.handling.cursor;
  }

  private onMessage(ctx: Context): void {
    const msg = ctx.message;
    if (!msg?.from || !this.inbox) return;
    const chat = chatOf(msg);
    let text = msg.text ?? msg.caption ?? "";
    const entities = msg.entities ?? msg.caption_entities ?? [];
    const first = entities[0];
    let command: { name: string; args: string } | undefined;
    if (first?.type === "bot_command" && first.offset === 0) {
      const [name = "", bot] = text.slice(1, first.length).toLowerCase().split("@");
      // In a group, "/new@other_bot" is for another bot.
      if (bot && `@${bot}` !== this.botName.toLowerCase()) return;
      command = { name, args: text.slice(first.length).trim() };
    } else if (chat.group) {
      // In a group the bot answers only when addressed: a mention, or a reply to one of its messages.
      const mention = this.botName.toLowerCase();
      const addressed = text.toLowerCase().includes(mention) || msg.reply_to_message?.from?.id === this.bot.botInfo.id;
      if (!addressed) return;
      text = text.replace(new RegExp(this.botName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "ig"), "").trim();
    }
    const files = this.filesOf(msg);
    if (!command && !text && files.length === 0) return;
    const name = msg.from.username ? `@${msg.from.username}` : [msg.from.first_name, msg.from.last_name].filter(Boolean).join(" ");
    this.inbox.accept(
      {
        kind: "message",
        chat,
        user: { id: String(msg.from.id), name },
        id: String(msg.message_id),
        text,
        files,
        ...(command ? { command } : {}),
      },
      this.take(),
    );
  }

  private onPress(ctx: Context): void {
    const query = ctx.callbackQuery;
    const msg = query?.message;
    if (!query?.data || !msg || !this.inbox) return;
    const chat = chatOf(msg as Message);
    const name = query.from.username ? `@${query.from.username}` : query.from.first_name;
    let answered = false;
    const answer = async (text?: string) => {
      if (answered) return;
      answered = true;
      await this.bot.api.answerCallbackQuery(query.id, text ? { text } : {}).catch((error) => {
        throw telegramError(error, "answer a button");
      });
    };
    this.inbox.accept(
      {
        kind: "press",
        chat,
        user: { id: String(query.from.id), name },
        message: { chat, id: String(msg.message_id) },
        data: query.data,
        answer,
      },
      this.take(),
    );
  }

  private filesOf(msg: Message): IncomingFile[] {
    const download = (fileId: string) => async () => {
      const file = await this.bot.api.getFile(fileId).catch((error) => {
        throw telegramError(error, "find the file");
      });
      if (!file.file_path) throw new Error("Telegram gave no path for the file");
      const response = await fetch(`${this.o.apiRoot}/file/bot${this.o.token}/${file.file_path}`);
      if (!response.ok) throw new Error(`Telegram answered ${response.status} for the file`);
      return new Uint8Array(await response.arrayBuffer());
    };
    if (msg.document) {
      const d = msg.document;
      return [
        {
          name: d.file_name ?? "file",
          mime: d.mime_type ?? "application/octet-stream",
          ...(d.file_size !== undefined ? { size: d.file_size } : {}),
          download: download(d.file_id),
        },
      ];
    }
    const photo = msg.photo?.at(-1); // the largest size
    if (photo)
      return [
        {
          name: `photo-${msg.message_id}.jpg`,
          mime: "image/jpeg",
          ...(photo.file_size !== undefined ? { size: photo.file_size } : {}),
          download: download(photo.file_id),
        },
      ];
    return [];
  }

  async send(chat: ChatRef, message: Outgoing): Promise<MessageRef> {
    const other = {
      ...threadOf(chat),
      ...keyboard(message.buttons),
      ...(message.replyTo ? { reply_parameters: { message_id: Number(message.replyTo), allow_sending_without_reply: true } } : {}),
      link_preview_options: { is_disabled: true },
    };
    try {
      const sent = await this.withPlainFallback(message.text, (text, parse) =>
        this.bot.api.sendMessage(chat.id, text, { ...other, ...parse }),
      );
      return { chat, id: String(sent.message_id) };
    } catch (error) {
      throw telegramError(error, "send a message");
    }
  }

  async edit(ref: MessageRef, message: Outgoing): Promise<void> {
    const other = { ...keyboard(message.buttons), link_preview_options: { is_disabled: true } };
    try {
      await this.withPlainFallback(message.text, (text, parse) =>
        this.bot.api.editMessageText(ref.chat.id, Number(ref.id), text, { ...other, ...parse }),
      );
    } catch (error) {
      const description = error instanceof GrammyError ? error.description : "";
      if (description.includes("message is not modified")) return;
      if (/message to edit not found|message can't be edited/.test(description)) throw new MessageGoneError(description);
      throw telegramError(error, "edit a message");
    }
  }

  async delete(ref: MessageRef): Promise<void> {
    await this.bot.api.deleteMessage(ref.chat.id, Number(ref.id)).catch((error) => {
      // Already gone (or too old to delete): nothing left to do.
      if (!(error instanceof GrammyError && error.error_code === 400)) throw telegramError(error, "delete a message");
    });
  }

  async typing(chat: ChatRef): Promise<void> {
    await this.bot.api.sendChatAction(chat.id, "typing", threadOf(chat)).catch((error) => {
      throw telegramError(error, "show typing");
    });
  }

  async sendFile(chat: ChatRef, file: { name: string; data: Uint8Array; caption?: string }): Promise<void> {
    const caption = file.caption ? { caption: file.caption, parse_mode: "HTML" as const } : {};
    await this.bot.api.sendDocument(chat.id, new InputFile(file.data, file.name), { ...threadOf(chat), ...caption }).catch((error) => {
      throw telegramError(error, "send a file");
    });
  }

  async setCommands(commands: CommandSpec[]): Promise<void> {
    await this.bot.api.setMyCommands(commands.map((c) => ({ command: c.name, description: c.description }))).catch((error) => {
      throw telegramError(error, "set the command menu");
    });
  }

  /** The call in HTML; should Telegram refuse the markup after all, the same text without it. */
  private async withPlainFallback<T>(html: string, call: (text: string, parse: { parse_mode?: "HTML" }) => Promise<T>): Promise<T> {
    try {
      return await call(html, { parse_mode: "HTML" });
    } catch (error) {
      if (!(error instanceof GrammyError && error.description.includes("can't parse entities"))) throw error;
      return call(visibleText(html), {});
    }
  }
}

function chatOf(msg: Pick<Message, "chat" | "is_topic_message" | "message_thread_id">): ChatRef {
  const thread = msg.is_topic_message && msg.message_thread_id ? { thread: String(msg.message_thread_id) } : {};
  return { id: String(msg.chat.id), ...thread, ...(msg.chat.type !== "private" ? { group: true } : {}) };
}

function threadOf(chat: ChatRef): { message_thread_id?: number } {
  return chat.thread ? { message_thread_id: Number(chat.thread) } : {};
}

function keyboard(buttons: Button[][] | undefined) {
  if (!buttons) return {};
  return { reply_markup: { inline_keyboard: buttons.map((row) => row.map((b) => ({ text: b.label, callback_data: b.data }))) } };
}
