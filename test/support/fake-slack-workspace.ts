import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

export type Args = Record<string, unknown>;

export interface FakeUser {
  id: string;
  name: string;
}

/** A message the bot posted (or a file it uploaded), as it now stands. */
export interface BotMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: Block[];
  /** Every text it had, the first one included. */
  history: string[];
  deleted: boolean;
  file?: { name: string; title: string; bytes: Buffer; comment: string };
}

export interface Block {
  type: string;
  block_id?: string;
  text?: { type: string; text: string };
  elements?: Array<{ type: string; action_id: string; value: string; text: { type: string; text: string } }>;
}

/** What a person sends with a message. */
export interface SayOptions {
  thread_ts?: string;
  /** "im" (default for D… channels), "channel", "group", "mpim". */
  channel_type?: string;
  files?: Array<{ name: string; mimetype: string; bytes: Buffer }>;
}

/**
 * The workspace behind the fake: the bot's messages, reactions, ephemeral notes and files, the
 * Web API methods that change them (validated as Slack does: section text ≤ 3000, button values
 * ≤ 2000, labels ≤ 75, unique action ids, text ≤ 40 000), and what people do (write, press a
 * button, run /pocketpaw), sent to the app as Socket Mode envelopes.
 */
export abstract class SlackWorkspace {
  readonly botToken = "xoxb-1-fake-bot-token";
  readonly appToken = "xapp-1-A0FAKE-1-fake-app-token";
  readonly appId = "A0FAKE";
  readonly team = { id: "T0FAKE", domain: "fake" };
  readonly bot = { userId: "U0BOT", botId: "B0BOT", name: "pocketpaw" };
  readonly messages: BotMessage[] = [];
  readonly reactions = new Map<string, Set<string>>();
  readonly ephemerals: Array<{ channel: string; user: string; text: string; thread_ts?: string }> = [];
  /** Post the bot's own messages back as message events, as Slack does (the app must ignore them). */
  echoBotMessages = true;
  private clock = 1_700_000_000;
  private seq = 0;
  private readonly userFiles = new Map<string, Buffer>();
  private readonly uploads = new Map<string, { name: string; bytes?: Buffer }>();

  constructor(readonly base: string) {}

  /** Sends an envelope over Socket Mode; returns its id. */
  protected abstract deliver(type: string, payload: unknown): string;

  /** A new message ts: seconds and a six-digit sequence, always increasing, as Slack's are. */
  nextTs(): string {
    this.seq++;
    return `${this.clock + Math.floor(this.seq / 1_000_000)}.${String(this.seq % 1_000_000).padStart(6, "0")}`;
  }

  /** The bot's live messages in a channel (and thread: "" for top-level only), oldest first. */
  inChat(channel: string, thread?: string): BotMessage[] {
    return this.messages.filter(
      (m) => m.channel === channel && !m.deleted && (thread === undefined || (thread === "" ? !m.thread_ts : m.thread_ts === thread)),
    );
  }

  /** A person writes in a channel; returns the message's ts. */
  say(user: FakeUser, channel: string, text: string, options: SayOptions = {}): string {
    const ts = this.nextTs();
    const channelType = options.channel_type ?? (channel.startsWith("D") ? "im" : "channel");
    const files = (options.files ?? []).map((f) => {
      const id = `F${randomBytes(4).toString("hex").toUpperCase()}`;
      this.userFiles.set(id, f.bytes);
      const url = `${this.base}/files/${id}/${encodeURIComponent(f.name)}`;
      return { id, name: f.name, mimetype: f.mimetype, size: f.bytes.length, url_private: url, url_private_download: `${url}?download=1` };
    });
    const event = {
      type: "message",
      ...(files.length ? { subtype: "file_share", files } : {}),
      channel,
      channel_type: channelType,
      user: user.id,
      text,
      ts,
      event_ts: ts,
      team: this.team.id,
      ...(options.thread_ts ? { thread_ts: options.thread_ts } : {}),
      user_profile: { display_name: user.name, real_name: user.name, name: user.name.toLowerCase() },
    };
    this.event(event);
    // A mention in a channel comes twice: as message.channels and as app_mention.
    if (channelType !== "im" && text.includes(`<@${this.bot.userId}>`)) {
      const { channel_type: _type, subtype: _subtype, user_profile: _profile, ...mention } = event;
      this.event({ ...mention, type: "app_mention" });
    }
    return ts;
  }

  /** A person presses a button of a bot message; returns the envelope id. */
  press(user: FakeUser, message: BotMessage, value: string): string {
    const button = message.blocks?.flatMap((b) => b.elements ?? []).find((e) => e.value === value);
    if (!button) throw new Error(`no button with value ${value} on message ${message.ts}`);
    const block = message.blocks?.find((b) => b.elements?.includes(button));
    const thread = message.thread_ts ? { thread_ts: message.thread_ts } : {};
    return this.deliver("interactive", {
      type: "block_actions",
      user: { id: user.id, username: user.name.toLowerCase(), name: user.name.toLowerCase(), team_id: this.team.id },
      api_app_id: this.appId,
      token: "verification-token",
      container: { type: "message", message_ts: message.ts, channel_id: message.channel, is_ephemeral: false, ...thread },
      trigger_id: `${this.seq}.trigger`,
      team: this.team,
      channel: { id: message.channel, name: message.channel.startsWith("D") ? "directmessage" : "general" },
      message: {
        type: "message",
        user: this.bot.userId,
        bot_id: this.bot.botId,
        text: message.text,
        ts: message.ts,
        blocks: message.blocks,
        ...thread,
      },
      response_url: `${this.base}/response/${message.ts}`,
      actions: [{ ...button, block_id: block?.block_id, action_ts: this.nextTs() }],
    });
  }

  /** A person runs the /pocketpaw slash command; returns the envelope id. */
  slash(user: FakeUser, channel: string, text: string): string {
    return this.deliver("slash_commands", {
      token: "verification-token",
      team_id: this.team.id,
      team_domain: this.team.domain,
      channel_id: channel,
      channel_name: channel.startsWith("D") ? "directmessage" : "general",
      user_id: user.id,
      user_name: user.name.toLowerCase(),
      command: "/pocketpaw",
      text,
      api_app_id: this.appId,
      response_url: `${this.base}/response/slash`,
      trigger_id: `${this.nextTs()}.trigger`,
    });
  }

  protected event(event: Record<string, unknown>): string {
    return this.deliver("events_api", {
      token: "verification-token",
      team_id: this.team.id,
      api_app_id: this.appId,
      event,
      type: "event_callback",
      event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: this.team.id, user_id: this.bot.userId, is_bot: true, is_enterprise_install: false }],
    });
  }

  /** The Web API methods other than apps.connections.open (the token is checked already). */
  protected call(method: string, a: Args): Record<string, unknown> {
    const channel = String(a.channel ?? a.channel_id ?? "");
    const known = /^[CDG][A-Z0-9]+$/.test(channel) && !channel.endsWith("404");
    const find = () => this.messages.find((m) => m.channel === channel && m.ts === a.ts && !m.deleted);
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: `https://${this.team.domain}.slack.com/`,
          team: "Fake Workspace",
          user: this.bot.name,
          team_id: this.team.id,
          user_id: this.bot.userId,
          bot_id: this.bot.botId,
          is_enterprise_install: false,
        };
      case "chat.postMessage": {
        if (!known) return { ok: false, error: "channel_not_found" };
        const problem = checkContent(a, true);
        if (problem) return { ok: false, error: problem };
        const ts = this.nextTs();
        const thread = typeof a.thread_ts === "string" ? { thread_ts: a.thread_ts } : {};
        const text = String(a.text ?? "");
        const blocks = a.blocks as Block[] | undefined;
        this.messages.push({ channel, ts, ...thread, text, ...(blocks ? { blocks } : {}), history: [text], deleted: false });
        if (this.echoBotMessages)
          this.event({
            type: "message",
            channel,
            channel_type: channel.startsWith("D") ? "im" : "channel",
            user: this.bot.userId,
            bot_id: this.bot.botId,
            text,
            ts,
            ...thread,
          });
        return { ok: true, channel, ts, message: { type: "message", user: this.bot.userId, bot_id: this.bot.botId, text, ts, ...thread } };
      }
      case "chat.update": {
        if (!known) return { ok: false, error: "channel_not_found" };
        const message = find();
        if (!message) return { ok: false, error: "message_not_found" };
        const problem = checkContent(a, false);
        if (problem) return { ok: false, error: problem };
        if (a.text !== undefined) message.text = String(a.text);
        // Without `blocks` the message keeps its blocks; `[]` removes them.
        if (Array.isArray(a.blocks)) message.blocks = a.blocks.length ? (a.blocks as Block[]) : undefined;
        message.history.push(message.text);
        return { ok: true, channel, ts: message.ts, text: message.text };
      }
      case "chat.delete": {
        const message = find();
        if (!message) return { ok: false, error: "message_not_found" };
        message.deleted = true;
        return { ok: true, channel, ts: message.ts };
      }
      case "chat.postEphemeral":
        if (!known) return { ok: false, error: "channel_not_found" };
        this.ephemerals.push({
          channel,
          user: String(a.user),
          text: String(a.text ?? ""),
          ...(a.thread_ts ? { thread_ts: String(a.thread_ts) } : {}),
        });
        return { ok: true, message_ts: this.nextTs() };
      case "reactions.add":
      case "reactions.remove": {
        const key = `${channel}/${String(a.timestamp)}`;
        const names = this.reactions.get(key) ?? new Set<string>();
        this.reactions.set(key, names);
        const name = String(a.name);
        if (method === "reactions.add") {
          if (names.has(name)) return { ok: false, error: "already_reacted" };
          names.add(name);
        } else if (!names.delete(name)) return { ok: false, error: "no_reaction" };
        return { ok: true };
      }
      case "files.getUploadURLExternal": {
        if (!a.filename || !a.length) return { ok: false, error: "invalid_arguments" };
        const id = `F${randomBytes(4).toString("hex").toUpperCase()}`;
        this.uploads.set(id, { name: String(a.filename) });
        return { ok: true, upload_url: `${this.base}/upload/${id}`, file_id: id };
      }
      case "files.completeUploadExternal": {
        const files = (a.files ?? []) as Array<{ id: string; title?: string }>;
        for (const f of files) {
          const upload = this.uploads.get(f.id);
          if (!upload?.bytes) return { ok: false, error: "file_not_found" };
          if (!known) return { ok: false, error: "channel_not_found" };
          const thread = typeof a.thread_ts === "string" ? { thread_ts: a.thread_ts } : {};
          const file = { name: upload.name, title: f.title ?? upload.name, bytes: upload.bytes, comment: String(a.initial_comment ?? "") };
          this.messages.push({ channel, ts: this.nextTs(), ...thread, text: file.comment, history: [file.comment], deleted: false, file });
        }
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  /** A file a person uploaded: the bytes with the bot token, else (as Slack does) a sign-in page with 200. */
  protected serveFile(path: string, bearer: string | undefined, res: ServerResponse): void {
    const bytes = this.userFiles.get(path.split("/")[2] ?? "");
    if (!bytes) return void res.writeHead(404).end();
    if (bearer !== this.botToken) return void res.writeHead(200, { "content-type": "text/html" }).end("<html>Sign in to Slack</html>");
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
  }

  /** The bytes posted to an upload URL (multipart, as the Node SDK sends them, or raw); their length, or undefined. */
  protected async receiveUpload(id: string, type: string, body: Buffer): Promise<number | undefined> {
    const upload = this.uploads.get(id);
    if (!upload) return undefined;
    if (type.startsWith("multipart/form-data")) {
      const form = await new Response(new Uint8Array(body), { headers: { "content-type": type } }).formData();
      const part = [...form.values()].find((v) => typeof v !== "string") as Blob | undefined;
      upload.bytes = part ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
    } else upload.bytes = body;
    return upload.bytes.length;
  }
}

/** Slack's checks of a message's content: an error code, or undefined. */
function checkContent(a: Args, posting: boolean): string | undefined {
  const text = a.text === undefined ? undefined : String(a.text);
  const blocks = a.blocks as Block[] | undefined;
  if (posting && !text && !blocks?.length) return "no_text";
  if (text && text.length > 40_000) return "msg_too_long";
  if (!blocks) return undefined;
  const ids = new Set<string>();
  for (const block of blocks) {
    if (block.text && block.text.text.length > 3000) return "invalid_blocks";
    for (const e of block.elements ?? []) {
      if (ids.has(e.action_id) || e.value.length > 2000 || e.text.text.length > 75) return "invalid_blocks";
      ids.add(e.action_id);
    }
  }
  return undefined;
}
