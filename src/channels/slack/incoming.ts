import type { ChatRef, IncomingFile, IncomingMessage, UserRef } from "../core/types.js";
import { plainText } from "./mrkdwn.js";

/** The fields of a `message` or `app_mention` event this adapter reads. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel: string;
  /** "im", "mpim", "channel", "group"; absent on app_mention. */
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  files?: SlackFile[];
  user_profile?: { display_name?: string; real_name?: string; name?: string };
}

export interface SlackFile {
  id: string;
  name?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

/** Subtypes that are still a person writing to the bot; the others (edits, joins, bot posts…) are not. */
const PERSON_SUBTYPES = new Set([undefined, "file_share", "thread_broadcast"]);

/** A `!command args` message: `!` then a word, as Telegram reads `/word`. */
const COMMAND = /^!([a-z][\w-]{0,31})(?:\s+([\s\S]*))?$/i;

/** Remembers the last `size` keys, forgetting the oldest. */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly size: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Adds the key; false when it was there already. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.size) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }
}

export interface Routing {
  botUserId: string;
  /** Messages already handed on (a mention arrives both as `message` and `app_mention`; Slack retries). */
  seen: RecentKeys;
  /** Threads of channels the bot answers in, so that replies there need no mention. */
  threads: RecentKeys;
  download(url: string): Promise<Uint8Array>;
}

/**
 * Where the bot answers a message, if it does. In a direct message: always, one conversation for
 * the whole DM (replies go there, not into threads), and one per thread opened in it. In a
 * channel (and a group DM): a message that mentions the bot starts a conversation in a thread
 * under it (or continues the one of the thread it was written in); later replies in that thread
 * need no mention.
 */
export function route(event: SlackMessageEvent, r: Routing): ChatRef | undefined {
  if (!PERSON_SUBTYPES.has(event.subtype) || event.bot_id || !event.user || event.user === r.botUserId) return undefined;
  const inThread = event.thread_ts && event.thread_ts !== event.ts ? event.thread_ts : undefined;
  if (event.channel_type === "im") return { id: event.channel, ...(inThread ? { thread: inThread } : {}) };
  const thread = inThread ?? event.ts;
  const key = `${event.channel}:${thread}`;
  const mentioned = event.type === "app_mention" || (event.text ?? "").includes(`<@${r.botUserId}`);
  if (!mentioned && !(inThread && r.threads.has(key))) return undefined;
  r.threads.add(key);
  return { id: event.channel, thread, group: true };
}

/** The event as the core's IncomingMessage, or undefined when it is not for the bot (or was seen already). */
export function messageOf(event: SlackMessageEvent, r: Routing): IncomingMessage | undefined {
  const chat = route(event, r);
  if (!chat || !r.seen.add(`${event.channel}/${event.ts}`)) return undefined;
  const text = plainText(event.text ?? "", r.botUserId);
  const files = filesOf(event.files ?? [], r.download);
  const match = COMMAND.exec(text);
  if (!match && !text && files.length === 0) return undefined;
  const command = match ? { name: (match[1] ?? "").toLowerCase(), args: (match[2] ?? "").trim() } : undefined;
  return {
    kind: "message",
    chat,
    user: userOf(event.user ?? "", event.user_profile),
    id: event.ts,
    text,
    files,
    ...(command ? { command } : {}),
  };
}

export function userOf(id: string, profile?: { display_name?: string; real_name?: string; name?: string; username?: string }): UserRef {
  const name = profile?.display_name || profile?.username || profile?.name || profile?.real_name;
  return { id, name: name ? `@${name}` : id };
}

function filesOf(files: SlackFile[], download: (url: string) => Promise<Uint8Array>): IncomingFile[] {
  return files.flatMap((f) => {
    // Files hidden by the workspace's plan, or deleted, come without a URL.
    const url = f.url_private_download ?? f.url_private;
    if (!url) return [];
    return [
      {
        name: f.name || `file-${f.id}`,
        mime: f.mimetype || "application/octet-stream",
        ...(f.size !== undefined ? { size: f.size } : {}),
        download: () => download(url),
      },
    ];
  });
}

/** The chat a button press came from: the prompt's thread, if it is in one. */
export function pressChat(channel: string, message: { ts: string; thread_ts?: string }): ChatRef {
  // A top-level message that later got replies carries its own ts as thread_ts: it is not in a thread.
  const thread = message.thread_ts && message.thread_ts !== message.ts ? { thread: message.thread_ts } : {};
  // Direct messages' ids start with D; channels (C) and private channels and group DMs (G) are groups.
  return { id: channel, ...thread, ...(channel.startsWith("D") ? {} : { group: true }) };
}
