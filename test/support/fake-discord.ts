import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeGateway } from "./fake-discord-gateway.js";
import { RateLimits } from "./fake-discord-limits.js";
import { bodyOf, route } from "./fake-discord-rest.js";
import {
  channelObject,
  type FakeAttachment,
  type FakeChannel,
  type FakeMessage,
  type FakeUser,
  guildObject,
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
  /** The JSON body (of a call not refused before it was read). */
  json?: Record<string, unknown>;
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
  readonly token =
    `${Buffer.from(String(Date.now())).toString("base64url")}.${randomBytes(4).toString("base64url")}.${randomBytes(20).toString("base64url")}`;
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

  private constructor(
    private readonly server: Server,
    private readonly limits: RateLimits,
  ) {
    const fake = this;
    this.gateway = new FakeGateway(
      {
        token: this.token,
        get messageContentEnabled() {
          return fake.messageContentEnabled;
        },
        ready: () => ({ user: userObject(this.bot), application: { id: this.bot.id, flags: 0 }, guildIds: [this.guildId] }),
        guildCreate: () =>
          guildObject(
            this.guildId,
            [...this.channels.values()].filter((c) => c.guildId === this.guildId),
            this.bot,
          ),
      },
      () => this.gatewayUrl,
    );
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const server = createServer();
    const fake = new FakeDiscord(server, new RateLimits(options.bucketLimit ?? 5, options.windowMs ?? 5000));
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
    this.limits.failNext(count, retryAfterSeconds, global);
  }

  /** A user writes in a channel (MESSAGE_CREATE); returns the message id. */
  say(
    channel: FakeChannel,
    from: FakeUser,
    content: string,
    /** `ping`: a reply that mentions the author of the message replied to (Discord's client lets people turn it off). */
    extra: { files?: Array<{ name: string; mime: string; bytes: Buffer }>; replyTo?: string; ping?: boolean } = {},
  ): string {
    this.users.set(from.id, from);
    const attachments: FakeAttachment[] = (extra.files ?? []).map((f) => {
      const id = snowflake();
      const url = `${this.apiUrl.replace(/\/api$/, "")}/attachments/${channel.id}/${id}/${encodeURIComponent(f.name)}`;
      return { id, filename: f.name, content_type: f.mime, size: f.bytes.length, url, bytes: f.bytes };
    });
    const mentions = mentionsOf(content, undefined);
    const replied = extra.replyTo ? this.messages.find((m) => m.id === extra.replyTo) : undefined;
    const message = this.store(channel, from, {
      content,
      attachments,
      mentionEveryone: mentions.everyone,
      mentions: [...mentions.users, ...(replied && extra.ping ? [replied.author.id] : [])],
      ...(extra.replyTo ? { replyTo: extra.replyTo } : {}),
    });
    // The gateway's MESSAGE_CREATE adds the channel's type and, in a guild, the author's member.
    this.gateway.dispatch("MESSAGE_CREATE", {
      ...messageObject(message, channel, this.users),
      channel_type: channel.type,
      ...(channel.guildId ? { member: memberObject(from) } : {}),
      // A reply carries the message it answers.
      ...(replied ? { referenced_message: messageObject(replied, channel, this.users) } : {}),
    });
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
    const interaction: Interaction = {
      id: snowflake(),
      token: `aW50ZXJhY3Rpb24${randomBytes(24).toString("base64url")}`,
      createdAt: Date.now(),
      channelId: channel.id,
      replies: [],
    };
    this.interactions.set(interaction.id, interaction);
    this.gateway.dispatch("INTERACTION_CREATE", {
      id: interaction.id,
      application_id: this.bot.id,
      type,
      data,
      channel_id: channel.id,
      channel: channelObject(channel),
      ...(channel.guildId
        ? { guild_id: channel.guildId, member: memberObject(from), guild_locale: "en-US", context: 0 }
        : { user: userObject(from), context: 1 }),
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

  /** Keeps a message (the REST half's and the injected ones). */
  store(channel: FakeChannel, author: FakeMessage["author"], content: Partial<FakeMessage>): FakeMessage {
    const message: FakeMessage = {
      id: snowflake(),
      channelId: channel.id,
      author,
      content: "",
      components: [],
      attachments: [],
      mentionEveryone: false,
      mentions: [],
      flags: 0,
      edits: 0,
      deleted: false,
      createdAt: Date.now(),
      ...content,
    };
    this.messages.push(message);
    return message;
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
    const limited = byToken ? undefined : this.limits.check(req.method ?? "GET", path);
    if (limited?.refusal) return answer(429, limited.refusal, limited.headers);
    const body = await bodyOf(req);
    record.json = body.json;
    const result = route(this, req.method ?? "GET", path, body.json, body.files, url.searchParams);
    if ("ok" in result) answer(result.status ?? 200, result.ok, limited?.headers);
    else answer(result.status, result.body, limited?.headers);
  }

  find(channelId: string, id: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channelId === channelId && m.id === id && !m.deleted);
  }

  private download(id: string, res: ServerResponse): void {
    const file = this.messages.flatMap((m) => m.attachments).find((a) => a.id === id);
    this.calls.push({ at: Date.now(), method: "GET", path: `/attachments/${id}`, status: file ? 200 : 404 });
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": file.content_type }).end(file.bytes);
  }
}
