import { randomBytes } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeGateway } from "./fake-discord-gateway.js";
import {
  type ApiError,
  apiError,
  channelObject,
  checkCommands,
  checkMessage,
  type FakeAttachment,
  type FakeChannel,
  type FakeMessage,
  type FakeUser,
  formError,
  memberObject,
  mentionsOf,
  messageObject,
  snowflake,
  userObject,
} from "./fake-discord-wire.js";

export type { FakeChannel, FakeMessage, FakeUser } from "./fake-discord-wire.js";

/**
 * A loopback fake of Discord, faithful to its documented behaviour where pocketpaw depends on it:
 * the REST API under /api/v10 (`Authorization: Bot <token>`, 401 otherwise; errors as `{code,
 * message}` with the right status; JSON and multipart message bodies; the 2,000-character limit;
 * components checked; mentions computed from allowed_mentions), its rate limits (each bucket's
 * X-RateLimit-Limit/-Remaining/-Reset/-Reset-After/-Bucket headers, 5 messages per 5 s per
 * channel by default, 50 requests a second globally, 429 with `{retry_after, global}` and
 * Retry-After past them or on demand), interactions answered once within 3 s, attachments on a
 * CDN path, and the gateway (fake-discord-gateway.ts) on the same port. Every call is logged.
 */

export interface CallRecord {
  at: number;
  method: string;
  /** The route with ids as written, e.g. POST /channels/123/messages. */
  path: string;
  status: number;
}

interface Interaction {
  id: string;
  token: string;
  createdAt: number;
  channelId: string;
  acked?: number;
  /** Replies and follow-ups, and whether only the user who acted saw them (flags 64). */
  replies: Array<{ content: string; ephemeral: boolean }>;
}

export interface FakeDiscordOptions {
  /** Requests allowed per bucket (per channel for messages) in each window (Discord: 5 per 5 s). */
  bucketLimit?: number;
  windowMs?: number;
}

export class FakeDiscord {
  readonly token = `${Buffer.from(String(Date.now())).toString("base64url")}.${randomBytes(4).toString("base64url")}.${randomBytes(20).toString("base64url")}`;
  readonly bot: FakeUser & { bot: true } = { id: snowflake(), username: "paw", global_name: "Paw", bot: true };
  readonly guildId = snowflake();
  readonly calls: CallRecord[] = [];
  readonly messages: FakeMessage[] = [];
  readonly interactions = new Map<string, Interaction>();
  readonly channels = new Map<string, FakeChannel>();
  readonly users = new Map<string, FakeUser>([[this.bot.id, this.bot]]);
  commands: Array<Record<string, unknown>> = [];
  /** Whether the bot has the Message Content intent enabled in the (fake) Developer Portal. */
  messageContentEnabled = true;
  /** What GET /gateway/bot names as the gateway ("" = this fake's own). */
  announcedGateway = "";
  readonly gateway: FakeGateway;
  private readonly buckets = new Map<string, { remaining: number; resetAt: number }>();
  private globalWindow = { second: 0, count: 0 };
  private failures = { count: 0, retryAfter: 1, global: false };

  private constructor(
    private readonly server: Server,
    private readonly options: Required<FakeDiscordOptions>,
  ) {
    const fake = this;
    this.gateway = new FakeGateway(
      {
        token: this.token,
        get messageContentEnabled() {
          return fake.messageContentEnabled;
        },
        ready: () => ({ user: userObject(this.bot), application: { id: this.bot.id, flags: 0 }, guildIds: [this.guildId] }),
        guildCreate: () => this.guildObject(),
      },
      () => this.gatewayUrl,
    );
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const server = createServer();
    const fake = new FakeDiscord(server, { bucketLimit: 5, windowMs: 5000, ...options });
    server.on("request", (req, res) => void fake.handle(req, res));
    server.on("upgrade", (req, socket, head) => fake.gateway.upgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/gateway`;
  }

  /** A text channel of the test guild (create before the bot connects: it comes in GUILD_CREATE). */
  textChannel(name: string): FakeChannel {
    const channel: FakeChannel = { id: snowflake(), type: 0, name, guildId: this.guildId };
    this.channels.set(channel.id, channel);
    return channel;
  }

  dmChannel(user: FakeUser): FakeChannel {
    const channel: FakeChannel = { id: snowflake(), type: 1, recipient: user };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** The next `count` message calls are answered 429 (a shared or the global limit). */
  failNext(count: number, retryAfterSeconds = 1, global = false): void {
    this.failures = { count, retryAfter: retryAfterSeconds, global };
  }

  /** A user writes in a channel (MESSAGE_CREATE); returns the message id. */
  say(channel: FakeChannel, from: FakeUser, content: string, extra: { files?: Array<{ name: string; mime: string; bytes: Buffer }>; replyTo?: string } = {}): string {
    this.users.set(from.id, from);
    const attachments: FakeAttachment[] = (extra.files ?? []).map((f) => {
      const id = snowflake();
      const url = `${this.apiUrl.replace(/\/api$/, "")}/attachments/${channel.id}/${id}/${encodeURIComponent(f.name)}`;
      return { id, filename: f.name, content_type: f.mime, size: f.bytes.length, url, bytes: f.bytes };
    });
    const mentions = mentionsOf(content, undefined);
    const replied = extra.replyTo ? this.messages.find((m) => m.id === extra.replyTo) : undefined;
    const message = this.store(channel, from, { content, attachments, mentionEveryone: mentions.everyone, mentions: [...mentions.users, ...(replied ? [replied.author.id] : [])], ...(extra.replyTo ? { replyTo: extra.replyTo } : {}) });
    // The gateway's MESSAGE_CREATE adds the channel's type and, in a guild, the author's member.
    this.gateway.dispatch("MESSAGE_CREATE", { ...messageObject(message, channel, this.users), channel_type: channel.type, ...(channel.guildId ? { member: memberObject(from) } : {}) });
    return message.id;
  }

  /** A user runs a slash command (INTERACTION_CREATE, type 2); returns the interaction id. */
  slash(channel: FakeChannel, from: FakeUser, name: string, value?: string): string {
    const options = value !== undefined ? [{ name: "value", type: 3, value }] : [];
    return this.interact(channel, from, 2, { id: snowflake(), name, type: 1, ...(options.length ? { options } : {}) });
  }

  /** A user presses a button of a bot message (INTERACTION_CREATE, type 3); returns the interaction id. */
  press(from: FakeUser, message: FakeMessage, customId: string): string {
    const channel = this.channels.get(message.channelId) as FakeChannel;
    return this.interact(channel, from, 3, { custom_id: customId, component_type: 2 }, messageObject(message, channel, this.users));
  }

  /** The bot's live (not deleted, not ephemeral) messages in a channel, oldest first. */
  inChannel(channel: FakeChannel): FakeMessage[] {
    return this.messages.filter((m) => m.channelId === channel.id && m.author.id === this.bot.id && !m.deleted && !(m.flags & 64));
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private interact(channel: FakeChannel, from: FakeUser, type: number, data: unknown, message?: unknown): string {
    this.users.set(from.id, from);
    const interaction: Interaction = { id: snowflake(), token: `aW50ZXJhY3Rpb24${randomBytes(24).toString("base64url")}`, createdAt: Date.now(), channelId: channel.id, replies: [] };
    this.interactions.set(interaction.id, interaction);
    this.gateway.dispatch("INTERACTION_CREATE", {
      id: interaction.id,
      application_id: this.bot.id,
      type,
      data,
      channel_id: channel.id,
      channel: channelObject(channel),
      ...(channel.guildId ? { guild_id: channel.guildId, member: memberObject(from), guild_locale: "en-US", context: 0 } : { user: userObject(from), context: 1 }),
      token: interaction.token,
      version: 1,
      app_permissions: "2248473465835073",
      locale: "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": channel.guildId ?? "0" },
      ...(message ? { message } : {}),
    });
    return interaction.id;
  }

  private store(channel: FakeChannel, author: FakeMessage["author"], content: Partial<FakeMessage>): FakeMessage {
    const message: FakeMessage = { id: snowflake(), channelId: channel.id, author, content: "", components: [], attachments: [], mentionEveryone: false, mentions: [], flags: 0, edits: 0, deleted: false, createdAt: Date.now(), ...content };
    this.messages.push(message);
    return message;
  }

  private guildObject() {
    const channels = [...this.channels.values()].filter((c) => c.guildId === this.guildId);
    return {
      id: this.guildId,
      name: "Test guild",
      icon: null,
      owner_id: "1",
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [{ id: this.guildId, name: "@everyone", permissions: "2248473465835073", position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      system_channel_id: null,
      joined_at: new Date(0).toISOString(),
      large: false,
      unavailable: false,
      member_count: 2,
      members: [memberObject(this.bot)],
      channels: channels.filter((c) => c.type !== 11).map(channelObject),
      threads: channels.filter((c) => c.type === 11).map(channelObject),
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      premium_tier: 0,
      preferred_locale: "en-US",
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const attachment = /^\/attachments\/\d+\/(\d+)\//.exec(url.pathname);
    if (attachment) return this.download(attachment[1] ?? "", res);
    const path = url.pathname.replace(/^\/api\/v10/, "");
    const record: CallRecord = { at: Date.now(), method: req.method ?? "GET", path, status: 200 };
    this.calls.push(record);
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!url.pathname.startsWith("/api/v10/")) return answer(404, { message: "404: Not Found", code: 0 });
    // Interactions and their webhooks authenticate by their own token in the URL.
    const byToken = /^\/(interactions|webhooks)\//.test(path);
    if (!byToken && req.headers.authorization !== `Bot ${this.token}`) return answer(401, { message: "401: Unauthorized", code: 0 });
    const limited = byToken ? undefined : this.rateLimit(req.method ?? "GET", path);
    if (limited?.refusal) return answer(429, limited.refusal, limited.headers);
    const body = await bodyOf(req);
    const result = this.route(req.method ?? "GET", path, body.json, body.files, url.searchParams);
    if ("ok" in result) answer(result.status ?? 200, result.ok, limited?.headers);
    else answer(result.status, result.body, limited?.headers);
  }

  /** The bucket's headers, or a 429 when the bucket (or the global limit) is spent. */
  private rateLimit(method: string, path: string): { headers: Record<string, string>; refusal?: unknown } {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (this.globalWindow.second !== second) this.globalWindow = { second, count: 0 };
    const global = ++this.globalWindow.count > 50;
    const messages = /^\/channels\/(\d+)\/(messages|typing)/.exec(path);
    const route = `${method} ${path.replace(/\d{5,}/g, "{id}")}`;
    const key = messages ? `${route}:${messages[1]}` : route;
    const limit = messages ? this.options.bucketLimit : 50;
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= now) this.buckets.set(key, (bucket = { remaining: limit, resetAt: now + this.options.windowMs }));
    const resetAfter = (bucket.resetAt - now) / 1000;
    const headers = (remaining: number) => ({
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(bucket.resetAt / 1000),
      "x-ratelimit-reset-after": resetAfter.toFixed(3),
      "x-ratelimit-bucket": Buffer.from(route).toString("hex").slice(0, 32),
    });
    const tooMany = (retryAfter: number, isGlobal: boolean, scope: string) => ({
      headers: { ...(isGlobal ? {} : headers(0)), "retry-after": String(Math.ceil(retryAfter)), "x-ratelimit-scope": scope, ...(isGlobal ? { "x-ratelimit-global": "true" } : {}) },
      refusal: { message: "You are being rate limited.", retry_after: retryAfter, global: isGlobal },
    });
    if (global) return tooMany((1000 - (now % 1000)) / 1000, true, "global");
    if (messages && this.failures.count > 0) {
      this.failures.count--;
      return tooMany(this.failures.retryAfter, this.failures.global, this.failures.global ? "global" : "shared");
    }
    if (bucket.remaining <= 0) return tooMany(resetAfter, false, "user");
    bucket.remaining--;
    return { headers: headers(bucket.remaining) };
  }

  private route(method: string, path: string, body: Record<string, unknown>, files: FakeAttachment[], query: URLSearchParams): ApiError | { ok: unknown; status?: number } {
    const parts = path.split("/").filter(Boolean);
    const at = (i: number) => parts[i] ?? "";
    const route = `${method} /${parts.map((p) => (/^\d{5,}$/.test(p) || p.length > 40 ? "{}" : p)).join("/")}`;
    switch (route) {
      case "GET /gateway/bot":
        return { ok: { url: this.announcedGateway || this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } } };
      case "GET /users/@me":
        return { ok: { ...userObject(this.bot), verified: true, flags: 0, mfa_enabled: false } };
      case "GET /channels/{}": {
        const channel = this.channels.get(at(1));
        return channel ? { ok: channelObject(channel) } : apiError(404, 10003, "Unknown Channel");
      }
      case "POST /channels/{}/typing":
        return this.channels.has(at(1)) ? { ok: undefined, status: 204 } : apiError(404, 10003, "Unknown Channel");
      case "POST /channels/{}/messages":
        return this.create(at(1), body, files);
      case "PATCH /channels/{}/messages/{}":
        return this.edit(at(1), at(3), body);
      case "DELETE /channels/{}/messages/{}": {
        const message = this.find(at(1), at(3));
        if (!message) return apiError(404, 10008, "Unknown Message");
        message.deleted = true;
        return { ok: undefined, status: 204 };
      }
      case "PUT /applications/{}/commands": {
        const commands = body as unknown as Array<Record<string, unknown>>;
        if (!Array.isArray(commands)) return formError("_", "ARRAY_TYPE_CONVERT", "Must be an array.");
        const problem = checkCommands(commands);
        if (problem) return problem;
        this.commands = commands.map((c) => ({ ...c, id: snowflake(), application_id: this.bot.id, type: 1, version: snowflake(), default_member_permissions: null, dm_permission: true, nsfw: false }));
        return { ok: this.commands };
      }
      case "POST /interactions/{}/{}/callback":
        return this.callback(at(1), at(2), body, query);
      case "POST /webhooks/{}/{}": {
        const interaction = [...this.interactions.values()].find((i) => i.token === at(2));
        if (!interaction?.acked) return apiError(404, 10015, "Unknown Webhook");
        interaction.replies.push({ content: String(body.content ?? ""), ephemeral: (Number(body.flags ?? 0) & 64) !== 0 });
        const channel = this.channels.get(interaction.channelId) as FakeChannel;
        return { ok: messageObject(this.store(channel, this.bot, { content: String(body.content ?? ""), flags: Number(body.flags ?? 0) }), channel, this.users) };
      }
      default:
        return apiError(404, 0, "404: Not Found");
    }
  }

  private create(channelId: string, body: Record<string, unknown>, files: FakeAttachment[]): ApiError | { ok: unknown } {
    const channel = this.channels.get(channelId);
    if (!channel) return apiError(404, 10003, "Unknown Channel");
    const problem = checkMessage(body, files.length > 0, false);
    if (problem) return problem;
    const reference = body.message_reference as { message_id?: string; fail_if_not_exists?: boolean } | undefined;
    const replied = reference?.message_id ? this.find(channelId, reference.message_id) : undefined;
    if (reference?.message_id && !replied && reference.fail_if_not_exists !== false) return formError("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message");
    const allowedMentions = body.allowed_mentions as FakeMessage["allowedMentions"];
    const content = String(body.content ?? "");
    const mentions = mentionsOf(content, allowedMentions);
    const pingsReplied = replied && (allowedMentions ? allowedMentions.replied_user === true : true);
    const message = this.store(channel, this.bot, {
      content,
      components: (body.components as FakeMessage["components"]) ?? [],
      attachments: files,
      mentionEveryone: mentions.everyone,
      mentions: [...mentions.users, ...(pingsReplied ? [replied.author.id] : [])],
      ...(replied ? { replyTo: replied.id } : {}),
      ...(allowedMentions ? { allowedMentions } : {}),
    });
    const object = messageObject(message, channel, this.users);
    // Discord sends a bot its own messages too.
    this.gateway.dispatch("MESSAGE_CREATE", { ...object, channel_type: channel.type });
    return { ok: object };
  }

  private edit(channelId: string, id: string, body: Record<string, unknown>): ApiError | { ok: unknown } {
    const message = this.find(channelId, id);
    if (!message) return apiError(404, 10008, "Unknown Message");
    if (message.author.id !== this.bot.id) return apiError(403, 50005, "Cannot edit a message authored by another user");
    const problem = checkMessage(body, message.attachments.length > 0, true);
    if (problem) return problem;
    if (typeof body.content === "string") message.content = body.content;
    if (body.components) message.components = body.components as FakeMessage["components"];
    const mentions = mentionsOf(message.content, body.allowed_mentions as FakeMessage["allowedMentions"]);
    message.mentionEveryone ||= mentions.everyone;
    message.edits++;
    return { ok: messageObject(message, this.channels.get(channelId) as FakeChannel, this.users) };
  }

  private callback(id: string, token: string, body: Record<string, unknown>, query: URLSearchParams): ApiError | { ok: unknown; status?: number } {
    const interaction = this.interactions.get(id);
    if (!interaction || interaction.token !== token || Date.now() - interaction.createdAt > 3000) return apiError(404, 10062, "Unknown interaction");
    if (interaction.acked) return apiError(400, 40060, "Interaction has already been acknowledged.");
    const type = Number(body.type);
    if (![4, 5, 6, 7].includes(type)) return formError("type", "BASE_TYPE_CHOICES", "Value must be one of {4, 5, 6, 7}.");
    const data = (body.data ?? {}) as Record<string, unknown>;
    if (type === 4 || type === 7) {
      const problem = checkMessage(data, false, type === 7);
      if (problem) return problem;
    }
    interaction.acked = type;
    if (type === 4) interaction.replies.push({ content: String(data.content ?? ""), ephemeral: (Number(data.flags ?? 0) & 64) !== 0 });
    if (query.get("with_response") !== "true") return { ok: undefined, status: 204 };
    return { ok: { interaction: { id, type: 3, response_message_loading: type === 5, response_message_ephemeral: (Number(data.flags ?? 0) & 64) !== 0 }, resource: { type } } };
  }

  private find(channelId: string, id: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channelId === channelId && m.id === id && !m.deleted);
  }

  private download(id: string, res: ServerResponse): void {
    const file = this.messages.flatMap((m) => m.attachments).find((a) => a.id === id);
    this.calls.push({ at: Date.now(), method: "GET", path: `/attachments/${id}`, status: file ? 200 : 404 });
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": file.content_type }).end(file.bytes);
  }
}

/** The request's JSON, from a JSON body or a multipart one's payload_json, and its files. */
async function bodyOf(req: IncomingMessage): Promise<{ json: Record<string, unknown>; files: FakeAttachment[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("multipart/form-data")) {
    const form = await new Request("http://x", { method: "POST", headers: { "content-type": type }, body: raw }).formData();
    const json = JSON.parse(String(form.get("payload_json") ?? "{}"));
    const files: FakeAttachment[] = [];
    for (const [key, value] of form.entries()) {
      if (!key.startsWith("files[") || typeof value === "string") continue;
      const bytes = Buffer.from(await value.arrayBuffer());
      files.push({ id: snowflake(), filename: value.name, content_type: value.type || "application/octet-stream", size: bytes.length, url: "", bytes });
    }
    return { json, files };
  }
  return { json: raw.length ? JSON.parse(raw.toString()) : {}, files: [] };
}
