import { App, type Logger, LogLevel, SocketModeReceiver, webApi } from "@slack/bolt";
import { Pacer } from "../core/pacer.js";
import {
  type Button,
  type ChannelAdapter,
  ChannelError,
  type ChannelLimits,
  type ChannelState,
  type ChatRef,
  type CommandSpec,
  type Inbox,
  MessageGoneError,
  type MessageRef,
  type Outgoing,
} from "../core/types.js";
import { redactToken, slackCode, slackError } from "./errors.js";
import { SlackListeners } from "./listeners.js";
import { slackMrkdwn } from "./mrkdwn.js";
import { TypingReactions } from "./typing.js";

export interface SlackOptions {
  /** The bot token (xoxb-…): everything the bot says and reads. */
  botToken: string;
  /** The app-level token (xapp-…, scope connections:write): opens the Socket Mode connection. */
  appToken: string;
  /** Base URL of the Web API (https://slack.com/api/, or a test's fake); the Socket Mode URL comes from its apps.connections.open. */
  apiUrl: string;
  /** Least time between two messages sent or edited in one chat (default 1000 ms: chat.postMessage allows about one a second per channel). */
  intervalMs?: number;
  /** chat.update calls a minute for the whole app (default 45: under Slack's Tier 3 of about 50, leaving room for other clients of the app). */
  updatesPerMinute?: number;
  /** How long the "working" reaction stays once the core stops renewing it (default 3000 ms). */
  typingMs?: number;
  /** The Web API client's retries (after a 429 it first waits Retry-After). */
  retry?: webApi.RetryOptions;
  /** First wait before reconnecting a second time after the connection dropped (default 1000 ms, doubling to 30 s). */
  reconnectMs?: number;
  /** How long Slack may take to say hello on a new Socket Mode connection (default 30 s). */
  helloTimeoutMs?: number;
  /** Told when the connection drops and comes back. */
  onState?(state: ChannelState["state"], detail: string): void;
  /** Bolt's own warnings and errors, for the operator (default: dropped). */
  log?(line: string): void;
}

/** Slack's largest button value is 2000 characters; section text 3000. */
const BUTTON_VALUE = 2000;
const SECTION_TEXT = 3000;
const LABEL = 75;
const WORKING_REACTION = "hourglass_flowing_sand";

/**
 * Slack through Bolt in Socket Mode (no public URL: the app opens a WebSocket to Slack). Bolt
 * parses what arrives and acknowledges it; the WebClient sends, waiting out 429s (it pauses
 * until Retry-After, then retries). One conversation per DM and per thread (see incoming.ts);
 * commands are `!new`-style messages, since Slack takes `/…` for its own slash commands.
 * Reconnecting is ours rather than Bolt's, so that a refused token stops it and shows in the state.
 */
export class SlackAdapter implements ChannelAdapter {
  readonly name = "slack";
  readonly markup = slackMrkdwn;
  readonly commandPrefix = "!";
  readonly limits: ChannelLimits;
  botName = "";
  private readonly api: webApi.WebClient;
  private readonly clientOptions: webApi.WebClientOptions;
  private readonly typingShown: TypingReactions;
  /** chat.update is limited per app, not per chat: all edits share this pace. */
  private readonly updates = new Pacer();
  private socket: SocketModeReceiver["client"] | undefined;
  private stopper = new AbortController();
  private reconnecting: Promise<void> | undefined;

  constructor(private readonly o: SlackOptions) {
    this.limits = {
      // One section block's text: every message can then carry buttons, and edits keep one shape.
      messageLength: SECTION_TEXT,
      intervalMs: () => o.intervalMs ?? 1000,
      typingMs: o.typingMs ?? 3000,
      buttonDataBytes: BUTTON_VALUE,
    };
    this.clientOptions = {
      slackApiUrl: o.apiUrl,
      logger: boltLogger(o.log),
      timeout: 30_000,
      retryConfig: o.retry ?? { retries: 6, factor: 2, minTimeout: 250, maxTimeout: 10_000 },
    };
    this.api = new webApi.WebClient(o.botToken, this.clientOptions);
    // Reactions on a client of their own: its pauses after a 429 never hold up the messages.
    const reactions = new webApi.WebClient(o.botToken, { ...this.clientOptions, retryConfig: { retries: 2, minTimeout: 250 } });
    this.typingShown = new TypingReactions(reactions, WORKING_REACTION, this.limits.typingMs);
  }

  async start(inbox: Inbox): Promise<void> {
    const missing = [!this.o.botToken && "POCKETPAW_SLACK_BOT_TOKEN", !this.o.appToken && "POCKETPAW_SLACK_APP_TOKEN"].filter(Boolean);
    if (missing.length) throw new ChannelError(`Slack needs both tokens: set ${missing.join(" and ")}.`, true);
    this.stopper = new AbortController();
    let me: webApi.AuthTestResponse;
    try {
      me = await this.api.auth.test();
    } catch (error) {
      throw slackError(error, "check the bot token");
    }
    if (!me.user_id || !me.bot_id) throw new ChannelError("POCKETPAW_SLACK_BOT_TOKEN is not a bot token (auth.test names no bot).", true);
    this.botName = `@${me.user ?? me.user_id}`;
    const logger = boltLogger(this.o.log);
    // Bolt's own reconnecting is off (see the class comment); a copy of the options, as Socket Mode writes into them.
    const receiver = new SocketModeReceiver({
      appToken: this.o.appToken,
      logger,
      autoReconnectEnabled: false,
      installerOptions: { clientOptions: { ...this.clientOptions } },
    });
    const app = new App({
      token: this.o.botToken,
      botId: me.bot_id,
      botUserId: me.user_id,
      // auth.test was just called above; Bolt need not call it again.
      tokenVerificationEnabled: false,
      receiver,
      logger,
      clientOptions: this.clientOptions,
    });
    const signal = this.stopper.signal;
    new SlackListeners({
      botUserId: me.user_id,
      apiUrl: this.o.apiUrl,
      botToken: this.o.botToken,
      inbox: () => (signal.aborted ? undefined : inbox),
      ephemeral: (chat, user, text) => this.ephemeral(chat, user, text),
      log: (line) => this.o.log?.(line),
    }).attach(app);
    this.socket = receiver.client;
    try {
      await this.opened(() => app.start());
    } catch (error) {
      await receiver.client.disconnect().catch(() => {});
      throw connectionError(error);
    }
    if (signal.aborted) {
      // stop() came while connecting (it may have closed an earlier socket, not this one).
      await receiver.client.disconnect().catch(() => {});
      throw new ChannelError("stopped while connecting");
    }
    receiver.client.on("disconnected", () => {
      if (!signal.aborted && !this.reconnecting) this.reconnecting = this.reconnect(signal).finally(() => (this.reconnecting = undefined));
    });
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.socket?.disconnect().catch(() => {});
    await this.reconnecting;
    await this.typingShown.clear();
  }

  /** Connects again after the connection dropped: at once, then after growing waits; a refused token ends it. */
  private async reconnect(signal: AbortSignal): Promise<void> {
    this.o.onState?.("retrying", "The connection to Slack closed; reconnecting.");
    let wait = this.o.reconnectMs ?? 1000;
    for (let attempt = 0; !signal.aborted; attempt++) {
      if (attempt > 0) {
        await sleep(wait, signal);
        wait = Math.min(30_000, wait * 2);
      }
      if (signal.aborted || !this.socket) return;
      try {
        await this.opened(() => (this.socket as SocketModeReceiver["client"]).start());
        if (!signal.aborted) this.o.onState?.("running", `${this.botName}: connected to Slack again`);
        return;
      } catch (error) {
        if (signal.aborted) return;
        const problem = connectionError(error);
        if (problem.permanent) return this.o.onState?.("failed", problem.message);
        this.o.onState?.("retrying", `${problem.message} Trying again in ${Math.round(wait / 1000)} s.`);
      }
    }
  }

  /**
   * Socket Mode's start resolves on Slack's hello; a connection that opens and then says nothing
   * must not hold the channel forever: it is closed, and the start fails (and is tried again).
   */
  private async opened(start: () => Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.o.helloTimeoutMs ?? 30_000;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new ChannelError(`Slack did not say hello on the Socket Mode connection within ${Math.round(ms / 1000)} s.`));
        void this.socket?.disconnect().catch(() => {});
      }, ms);
    });
    try {
      await Promise.race([start(), silent]);
    } finally {
      clearTimeout(timer);
    }
  }

  async send(chat: ChatRef, message: Outgoing): Promise<MessageRef> {
    try {
      const sent = await this.api.chat.postMessage({
        channel: chat.id,
        ...(chat.thread ? { thread_ts: chat.thread } : {}),
        ...content(message),
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!sent.ts) throw new ChannelError("Slack gave no id for the message it posted");
      return { chat, id: sent.ts };
    } catch (error) {
      throw slackError(error, "send a message");
    }
  }

  async edit(ref: MessageRef, message: Outgoing): Promise<void> {
    await this.updates.slot("chat.update", 60_000 / (this.o.updatesPerMinute ?? 45));
    try {
      await this.api.chat.update({ channel: ref.chat.id, ts: ref.id, ...content(message) });
    } catch (error) {
      const code = slackCode(error);
      if (code === "message_not_found" || code === "cant_update_message" || code === "edit_window_closed") throw new MessageGoneError(code);
      throw slackError(error, "edit a message");
    }
  }

  async delete(ref: MessageRef): Promise<void> {
    await this.api.chat.delete({ channel: ref.chat.id, ts: ref.id }).catch((error) => {
      // Already gone: nothing left to do.
      if (slackCode(error) !== "message_not_found") throw slackError(error, "delete a message");
    });
  }

  /** A reaction on the message being answered (see TypingReactions); without one, nothing to mark. */
  async typing(chat: ChatRef, about?: string): Promise<void> {
    if (about) await this.typingShown.show(chat, about);
  }

  async sendFile(chat: ChatRef, file: { name: string; data: Uint8Array; caption?: string }): Promise<void> {
    const upload = {
      file: Buffer.from(file.data),
      filename: file.name,
      title: file.name,
      ...(file.caption ? { initial_comment: file.caption } : {}),
    };
    // The client's types tell a channel upload from a thread reply by whether thread_ts is there.
    const where = chat.thread ? { channel_id: chat.id, thread_ts: chat.thread } : { channel_id: chat.id };
    await this.api.filesUploadV2({ ...upload, ...where }).catch((error) => {
      throw slackError(error, "upload a file");
    });
  }

  /** Slack has no API for a bot's command menu: `!help` lists the commands (see README for /pocketpaw). */
  async setCommands(_commands: CommandSpec[]): Promise<void> {}

  /** A note only the presser sees (Slack's nearest to a toast), in the prompt's thread. */
  private async ephemeral(chat: ChatRef, user: string, text: string): Promise<void> {
    await this.api.chat
      .postEphemeral({ channel: chat.id, user, text: slackMrkdwn.escape(text), ...(chat.thread ? { thread_ts: chat.thread } : {}) })
      .catch((error) => {
        throw slackError(error, "answer a button");
      });
  }
}

/** The message's text and buttons as chat.postMessage / chat.update arguments. */
function content(message: Outgoing): { text: string; blocks?: unknown[] } {
  // Slack refuses an empty message (no_text).
  const text = message.text || "\u200b";
  if (!message.buttons) return { text };
  // `blocks: []` takes an edited message's buttons away; without `blocks`, chat.update keeps them.
  if (message.buttons.length === 0) return { text, blocks: [] };
  return {
    // With blocks, `text` is only what notifications show.
    text,
    blocks: [{ type: "section", text: { type: "mrkdwn", text, verbatim: true } }, ...message.buttons.map(actions)],
  };
}

function actions(row: Button[], r: number) {
  return {
    type: "actions",
    block_id: `pocketpaw_${r}`,
    elements: row.map((b, c) => ({
      type: "button",
      text: { type: "plain_text", text: b.label.length > LABEL ? `${b.label.slice(0, LABEL - 1)}…` : b.label, emoji: true },
      value: b.data,
      // Unique within the message, as Slack requires; the press is told apart by its value.
      action_id: `pocketpaw_${r}_${c}`,
    })),
  };
}

/** Why the Socket Mode connection could not be opened (its token is the app-level one). */
function connectionError(error: unknown): ChannelError {
  // The socket closing before Slack's hello rejects with nothing at all.
  if (error === undefined) return new ChannelError("The Socket Mode connection to Slack closed before it was ready.");
  return slackError(error, "open the Socket Mode connection", slackCode(error) === undefined ? "bot" : "app");
}

/** Bolt's logging: warnings and errors to `log`, the rest dropped. */
function boltLogger(log: ((line: string) => void) | undefined): Logger {
  let level = LogLevel.WARN;
  const say = (msg: unknown[]) => log?.(redactToken(msg.map(String).join(" ")));
  return {
    debug: () => {},
    info: () => {},
    warn: (...msg) => say(msg),
    error: (...msg) => say(msg),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
