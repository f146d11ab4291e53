import type { App, BlockAction, ButtonAction, SlashCommand } from "@slack/bolt";
import { describe } from "../core/text.js";
import type { ChatRef, Inbox } from "../core/types.js";
import { messageOf, pressChat, RecentKeys, type Routing, type SlackMessageEvent, userOf } from "./incoming.js";

export interface ListenerOptions {
  botUserId: string;
  /** The Web API's base URL: files are fetched with the bot token only from Slack (or from there). */
  apiUrl: string;
  botToken: string;
  /** Where received things go; undefined once the adapter stops. */
  inbox(): Inbox | undefined;
  /** A note only `user` sees. */
  ephemeral(chat: ChatRef, user: string, text: string): Promise<void>;
  log(line: string): void;
}

/** The slash command a workspace may register for the app (optional: `!new` messages work without it). */
export const SLASH_COMMAND = "/pocketpaw";

/**
 * What Slack sends the app over Socket Mode, handed to the core: messages (DMs, mentions, replies
 * in the bot's threads), button presses and the optional /pocketpaw command. Bolt acknowledges
 * events before the listeners run; presses and the command are acknowledged here at once (Slack
 * wants that within 3 s), before the core does anything with them. There is no cursor: Slack
 * does not redeliver what was acknowledged, and resends what was not (that, and the same mention
 * coming as both `message` and `app_mention`, is what `seen` filters out).
 */
export class SlackListeners {
  private readonly routing: Routing;

  constructor(private readonly o: ListenerOptions) {
    this.routing = {
      botUserId: o.botUserId,
      seen: new RecentKeys(2000),
      threads: new RecentKeys(5000),
      download: (url) => this.download(url),
    };
  }

  attach(app: App): void {
    const onMessage = async ({ event }: { event: unknown }) => {
      const message = messageOf(event as SlackMessageEvent, this.routing);
      if (message) this.o.inbox()?.accept(message);
    };
    app.event("message", onMessage);
    app.event("app_mention", onMessage);
    app.action<BlockAction<ButtonAction>>({ type: "block_actions" }, async ({ ack, body, action }) => {
      await ack();
      this.press(body, action);
    });
    app.command(SLASH_COMMAND, async ({ ack, command }) => {
      // Slash commands say which channel they come from, never which thread: only a DM's own conversation can be meant.
      if (!command.channel_id.startsWith("D")) {
        return ack({
          response_type: "ephemeral",
          text: "In a channel, write the command in the conversation's thread: `!stop`, `!new`, `!help`…",
        });
      }
      await ack();
      this.slash(command);
    });
    app.error(async (error) => this.o.log(`a Slack event failed: ${describe(error)}`));
  }

  private press(body: BlockAction<ButtonAction>, action: ButtonAction): void {
    const channel = body.channel?.id ?? body.container?.channel_id;
    const message = body.message;
    if (!channel || !message || action.value === undefined) return;
    const chat = pressChat(channel, { ts: message.ts, ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) });
    const user = body.user;
    this.o.inbox()?.accept({
      kind: "press",
      chat,
      user: userOf(user.id, { ...(user.username ? { username: user.username } : {}), ...(user.name ? { name: user.name } : {}) }),
      message: { chat, id: message.ts },
      data: action.value,
      // Already acknowledged; Slack has no toast, so only what the presser must see becomes a note.
      answer: async (text, alert) => {
        if (text && alert) await this.o.ephemeral(chat, user.id, text);
      },
    });
  }

  private slash(command: SlashCommand): void {
    const [name = "help", ...rest] = command.text.trim().split(/\s+/);
    this.o.inbox()?.accept({
      kind: "message",
      chat: { id: command.channel_id },
      user: userOf(command.user_id, { name: command.user_name }),
      // A command is no message: the trigger id stands in for one (nothing is threaded under it).
      id: command.trigger_id,
      text: command.text,
      files: [],
      command: { name: name.replace(/^!/, "").toLowerCase() || "help", args: rest.join(" ") },
    });
  }

  /** A file a person sent, fetched with the bot token, which goes only to Slack's own hosts. */
  private async download(url: string): Promise<Uint8Array> {
    const target = new URL(url);
    const api = new URL(this.o.apiUrl);
    const slack = target.protocol === "https:" && (target.hostname === "slack.com" || target.hostname.endsWith(".slack.com"));
    if (!slack && target.host !== api.host) throw new Error(`the file is at ${target.host}, not on Slack`);
    const response = await fetch(target, { headers: { authorization: `Bearer ${this.o.botToken}` }, signal: AbortSignal.timeout(60_000) });
    if (!response.ok) throw new Error(`Slack answered ${response.status} for the file`);
    // Without the files:read scope Slack answers with its sign-in page instead of the file.
    if (response.headers.get("content-type")?.startsWith("text/html") && !/\.html?$/i.test(target.pathname)) {
      throw new Error("Slack sent a sign-in page instead of the file: does the app have the files:read scope?");
    }
    return new Uint8Array(await response.arrayBuffer());
  }
}
