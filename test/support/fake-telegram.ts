import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseTelegramHtml } from "./telegram-html.js";

/**
 * A loopback fake of the Telegram Bot API, faithful to its documented behaviour where pocketpaw
 * depends on it: `/bot<token>/<method>` with JSON, form or multipart bodies, the `{ok, result}` /
 * `{ok: false, error_code, description, parameters}` envelopes, getUpdates with offset
 * confirmation and long polling (a second poller ends the first with 409), HTML parse mode
 * checked like Telegram ("can't parse entities"), the 4096-character limit on visible text,
 * "message is not modified", callback queries answered once, files behind getFile and
 * `/file/bot<token>/<path>`, and 429 with retry_after on demand. Every call is logged with its time.
 */

export interface FakeUser {
  id: number;
  first_name: string;
  username?: string;
}
export interface FakeChat {
  id: number;
  type: "private" | "group" | "supergroup";
  title?: string;
  is_forum?: boolean;
}
export interface BotMessage {
  chatId: number;
  messageId: number;
  text: string;
  parseMode?: string;
  markup?: { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };
  document?: { name: string; bytes: Buffer; caption?: string };
  threadId?: number;
  replyTo?: number;
  edits: number;
  deleted: boolean;
}
export interface CallRecord {
  at: number;
  method: string;
  params: Record<string, unknown>;
  /** The error_code answered, or 200. */
  status: number;
}

type Params = Record<string, unknown>;
type Result = { ok: true; result: unknown } | { ok: false; error_code: number; description: string; parameters?: { retry_after: number } };
const ok = (result: unknown): Result => ({ ok: true, result });
const bad = (description: string, error_code = 400): Result => ({
  ok: false,
  error_code,
  description: `${error_code === 400 ? "Bad Request: " : ""}${description}`,
});

export class FakeTelegram {
  readonly token = `${100000 + Math.floor(Math.random() * 900000)}:${randomBytes(12).toString("base64url")}`;
  readonly bot = { id: Number(this.token.split(":")[0]), is_bot: true, first_name: "Paw", username: "paw_test_bot" };
  readonly calls: CallRecord[] = [];
  readonly messages: BotMessage[] = [];
  readonly answers = new Map<string, { text?: string } | null>();
  commands: unknown[] = [];
  private readonly updates: Array<{ update_id: number; [key: string]: unknown }> = [];
  private nextUpdateId = 500_000 + Math.floor(Math.random() * 1000);
  private nextMessageId = 1;
  private readonly files = new Map<string, { path: string; bytes: Buffer }>();
  private poll: { wake(): void; end(result: Result): void } | undefined;
  private failures = { count: 0, retryAfter: 1 };

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeTelegram> {
    const server = createServer();
    const fake = new FakeTelegram(server);
    server.on("request", (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` calls (other than getUpdates and getMe) are answered 429 with retry_after. */
  failNext(count: number, retryAfterSeconds = 1): void {
    this.failures = { count, retryAfter: retryAfterSeconds };
  }

  /** A user writes in a chat; returns the message id. Commands get their bot_command entity, as Telegram adds it. */
  say(chat: FakeChat, from: FakeUser, text: string, extra: Params = {}): number {
    const command = /^\/[a-z0-9_]+(@\w+)?/i.exec(text);
    const entities = command ? [{ type: "bot_command", offset: 0, length: command[0].length }] : undefined;
    return this.userMessage(chat, from, { text, ...(entities ? { entities } : {}), ...extra });
  }

  /** A user sends a file (a document, or a photo when `photo`), with an optional caption. */
  sendFile(chat: FakeChat, from: FakeUser, file: { name: string; mime: string; bytes: Buffer; caption?: string; photo?: boolean }): number {
    const id = `file_${this.files.size + 1}`;
    this.files.set(id, { path: `${file.photo ? "photos" : "documents"}/${id}_${file.name}`, bytes: file.bytes });
    const size = file.bytes.length;
    const media = file.photo
      ? {
          photo: [
            { file_id: `${id}_small`, file_unique_id: `u${id}s`, width: 90, height: 90, file_size: 10 },
            { file_id: id, file_unique_id: `u${id}`, width: 800, height: 600, file_size: size },
          ],
        }
      : { document: { file_id: id, file_unique_id: `u${id}`, file_name: file.name, mime_type: file.mime, file_size: size } };
    return this.userMessage(chat, from, { ...media, ...(file.caption ? { caption: file.caption } : {}) });
  }

  /** A user presses an inline button of a bot message; returns the callback query id. */
  press(from: FakeUser, message: BotMessage, data: string, chat?: FakeChat): string {
    const id = `${this.nextUpdateId}${randomBytes(3).toString("hex")}`;
    this.answers.set(id, null);
    const asChat = chat ?? { id: message.chatId, type: "private" as const };
    this.push({
      callback_query: {
        id,
        from: { ...from, is_bot: false },
        chat_instance: "1",
        data,
        message: { message_id: message.messageId, date: now(), chat: asChat, text: message.text },
      },
    });
    return id;
  }

  /** The bot's live (not deleted) messages in a chat, oldest first. */
  inChat(chatId: number): BotMessage[] {
    return this.messages.filter((m) => m.chatId === chatId && !m.deleted);
  }

  /** Updates injected and not yet confirmed by an offset. */
  get pendingUpdates(): number {
    return this.updates.length;
  }

  async close(): Promise<void> {
    this.poll?.end(ok([]));
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private userMessage(chat: FakeChat, from: FakeUser, content: Params): number {
    const messageId = this.nextMessageId++;
    this.push({ message: { message_id: messageId, date: now(), chat, from: { ...from, is_bot: false }, ...content } });
    return messageId;
  }

  private push(update: Params): void {
    this.updates.push({ update_id: this.nextUpdateId++, ...update });
    this.poll?.wake();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (file) return this.download(file[1] ?? "", decodeURIComponent(file[2] ?? ""), res);
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    const params = { ...Object.fromEntries(url.searchParams), ...(await bodyOf(req)) };
    const method = match?.[2] ?? "";
    const record: CallRecord = { at: Date.now(), method, params, status: 200 };
    this.calls.push(record);
    let result: Result;
    if (!match) result = bad("Not Found", 404);
    else if (match[1] !== this.token) result = bad("Unauthorized", 401);
    else if (this.failures.count > 0 && method !== "getUpdates" && method !== "getMe") {
      this.failures.count--;
      const retry_after = this.failures.retryAfter;
      result = { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retry_after}`, parameters: { retry_after } };
    } else result = await this.call(method, params, res);
    if (!result.ok) record.status = result.error_code;
    res.writeHead(result.ok ? 200 : result.error_code, { "content-type": "application/json" });
    res.end(JSON.stringify(result));
  }

  private async call(method: string, p: Params, res: ServerResponse): Promise<Result> {
    switch (method) {
      case "getMe":
        return ok({ ...this.bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case "getUpdates":
        return this.getUpdates(p, res);
      case "sendMessage":
        return this.sendMessage(p);
      case "editMessageText":
        return this.editMessageText(p);
      case "editMessageReplyMarkup": {
        const message = this.find(p);
        if (!message) return bad("message to edit not found");
        if (JSON.stringify(message.markup ?? null) === JSON.stringify(p.reply_markup ?? null)) return bad(NOT_MODIFIED);
        message.markup = p.reply_markup as BotMessage["markup"];
        return ok(true);
      }
      case "deleteMessage": {
        const message = this.find(p);
        if (!message) return bad("message to delete not found");
        message.deleted = true;
        return ok(true);
      }
      case "sendChatAction":
        return ACTIONS.has(String(p.action)) ? ok(true) : bad("wrong parameter action in request");
      case "answerCallbackQuery": {
        const id = String(p.callback_query_id);
        if (!this.answers.has(id) || this.answers.get(id) !== null)
          return bad("query is too old and response timeout expired or query ID is invalid");
        this.answers.set(id, p.text ? { text: String(p.text) } : {});
        return ok(true);
      }
      case "sendDocument":
        return this.sendDocument(p);
      case "setMyCommands": {
        const commands = p.commands as Array<{ command: string; description: string }>;
        if (!Array.isArray(commands) || commands.some((c) => !/^[a-z0-9_]{1,32}$/.test(c.command))) return bad("BOT_COMMAND_INVALID");
        if (commands.some((c) => !c.description || c.description.length > 256)) return bad("BOT_COMMAND_DESCRIPTION_INVALID");
        this.commands = commands;
        return ok(true);
      }
      case "getFile": {
        const file =
          this.files.get(String(p.file_id)) ??
          (String(p.file_id).endsWith("_small") ? this.files.get(String(p.file_id).slice(0, -6)) : undefined);
        if (!file) return bad("invalid file_id");
        return ok({ file_id: p.file_id, file_unique_id: `u${p.file_id}`, file_size: file.bytes.length, file_path: file.path });
      }
      default:
        return bad("Not Found", 404);
    }
  }

  private async getUpdates(p: Params, res: ServerResponse): Promise<Result> {
    const offset = Number(p.offset ?? 0);
    // "An update is considered confirmed as soon as getUpdates is called with an offset higher than its update_id."
    if (offset > 0) while (this.updates.length && (this.updates[0]?.update_id ?? 0) < offset) this.updates.shift();
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100)));
    const allowed = Array.isArray(p.allowed_updates) && p.allowed_updates.length ? (p.allowed_updates as string[]) : undefined;
    const available = () => this.updates.filter((u) => !allowed || allowed.some((kind) => kind in u)).slice(0, limit);
    const timeout = Number(p.timeout ?? 0);
    if (available().length || timeout <= 0) return ok(available());
    this.poll?.end(bad("Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", 409));
    return new Promise<Result>((resolve) => {
      const timer = setTimeout(() => finish(ok(available())), timeout * 1000).unref();
      const finish = (result: Result) => {
        clearTimeout(timer);
        if (this.poll === poll) this.poll = undefined;
        resolve(result);
      };
      const poll = { wake: () => finish(ok(available())), end: finish };
      this.poll = poll;
      // The poller gave up (pocketpaw stopping): nothing is delivered, so nothing is confirmed.
      res.once("close", () => finish(ok([])));
    });
  }

  private sendMessage(p: Params): Result {
    const text = this.checkText(p, "message is too long");
    if (typeof text !== "string") return text;
    const markup = checkMarkup(p.reply_markup);
    if (markup) return markup;
    const message = this.store(p, { text });
    return ok(this.asMessage(message));
  }

  private editMessageText(p: Params): Result {
    const message = this.find(p);
    if (!message || message.document) return bad("message to edit not found");
    const text = this.checkText(p, "MESSAGE_TOO_LONG");
    if (typeof text !== "string") return text;
    const markup = checkMarkup(p.reply_markup);
    if (markup) return markup;
    if (message.text === text && JSON.stringify(message.markup ?? null) === JSON.stringify(p.reply_markup ?? null))
      return bad(NOT_MODIFIED);
    Object.assign(message, { text, parseMode: p.parse_mode, markup: p.reply_markup, edits: message.edits + 1 });
    return ok(this.asMessage(message));
  }

  private sendDocument(p: Params): Result {
    const document = p.document as { name: string; bytes: Buffer } | undefined;
    if (!document?.bytes) return bad("there is no document in the request");
    const caption = p.caption === undefined ? undefined : String(p.caption);
    if (caption !== undefined && p.parse_mode === "HTML") {
      const parsed = parseTelegramHtml(caption);
      if (!parsed.ok) return bad(parsed.error.replace("Bad Request: ", ""));
      if (parsed.text.length > 1024) return bad("message caption is too long");
    }
    const message = this.store(p, { text: "", document: { ...document, ...(caption ? { caption } : {}) } });
    return ok({
      ...this.asMessage(message),
      document: { file_id: `doc${message.messageId}`, file_unique_id: `d${message.messageId}`, file_name: document.name },
    });
  }

  /** The text as stored (raw), or the error Telegram gives for it. */
  private checkText(p: Params, tooLong: string): string | Result {
    const raw = String(p.text ?? "");
    let visible = raw;
    if (p.parse_mode === "HTML") {
      const parsed = parseTelegramHtml(raw);
      if (!parsed.ok) return bad(parsed.error.replace("Bad Request: ", ""));
      visible = parsed.text;
    } else if (p.parse_mode !== undefined) return bad("unsupported parse_mode");
    if (!visible.trim()) return bad("message text is empty");
    if (visible.length > 4096) return bad(tooLong);
    return raw;
  }

  private store(p: Params, content: { text: string; document?: BotMessage["document"] }): BotMessage {
    const reply = p.reply_parameters as { message_id?: number } | undefined;
    const message: BotMessage = {
      chatId: Number(p.chat_id),
      messageId: this.nextMessageId++,
      ...content,
      ...(typeof p.parse_mode === "string" ? { parseMode: p.parse_mode } : {}),
      ...(p.reply_markup ? { markup: p.reply_markup as BotMessage["markup"] } : {}),
      ...(p.message_thread_id !== undefined ? { threadId: Number(p.message_thread_id) } : {}),
      ...(reply?.message_id ? { replyTo: reply.message_id } : {}),
      edits: 0,
      deleted: false,
    };
    this.messages.push(message);
    return message;
  }

  private find(p: Params): BotMessage | undefined {
    return this.messages.find((m) => m.chatId === Number(p.chat_id) && m.messageId === Number(p.message_id) && !m.deleted);
  }

  private asMessage(m: BotMessage): Params {
    return {
      message_id: m.messageId,
      date: now(),
      chat: { id: m.chatId, type: m.chatId < 0 ? "supergroup" : "private" },
      from: this.bot,
      text: m.text,
      ...(m.markup ? { reply_markup: m.markup } : {}),
    };
  }

  private download(token: string, path: string, res: ServerResponse): void {
    const file = [...this.files.values()].find((f) => f.path === path);
    this.calls.push({ at: Date.now(), method: "file", params: { path }, status: token === this.token && file ? 200 : 404 });
    if (token !== this.token || !file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(file.bytes);
  }
}

const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function checkMarkup(markup: unknown): Result | undefined {
  if (markup === undefined) return undefined;
  const rows = (markup as { inline_keyboard?: unknown }).inline_keyboard;
  if (!Array.isArray(rows)) return bad("can't parse reply keyboard markup JSON object");
  for (const row of rows as Array<Array<{ text?: string; callback_data?: string }>>) {
    for (const button of row) {
      if (!button.text) return bad("BUTTON_TEXT_INVALID");
      const size = Buffer.byteLength(button.callback_data ?? "");
      if (size < 1 || size > 64) return bad("BUTTON_DATA_INVALID");
    }
  }
  return undefined;
}

/** The request's parameters: JSON, form or multipart (files as {name, bytes}; other fields JSON-decoded when they are JSON). */
async function bodyOf(req: IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers["content-type"] ?? "";
  if (!body.length) return {};
  if (type.includes("application/json")) return JSON.parse(body.toString("utf8")) as Params;
  if (type.includes("application/x-www-form-urlencoded")) {
    return Object.fromEntries([...new URLSearchParams(body.toString("utf8"))].map(([k, v]) => [k, jsonOrText(v)]));
  }
  const boundary = /boundary=("?)([^";]+)\1/.exec(type)?.[2];
  if (type.includes("multipart/form-data") && boundary) return multipart(body, boundary);
  return {};
}

/**
 * multipart/form-data as Telegram reads it: leniently (grammY writes `content-disposition:form-data;
 * name="x";filename=y` without spaces or quotes, which undici's strict parser refuses). Files
 * become {name, bytes}; a field "attach://<part>" is replaced by that part, as Telegram does.
 */
function multipart(body: Buffer, boundary: string): Params {
  const params: Params = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // without the CRLF after the delimiter and before the next
    const split = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, split).toString("utf8");
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? "";
    const filename = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
    params[name] = filename !== undefined ? { name: filename, bytes: Buffer.from(content) } : jsonOrText(content.toString("utf8"));
    at = next;
  }
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === "string" && value.startsWith("attach://")) params[key] = params[value.slice(9)];
  }
  return params;
}

function jsonOrText(value: string): unknown {
  if (!/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
