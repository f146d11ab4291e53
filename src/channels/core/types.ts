/**
 * The contract between the channel core and a platform adapter (Telegram, Slack, Discord).
 *
 * The adapter knows the platform: it receives messages and button presses and hands them to the
 * core's Inbox, and it sends, edits and deletes messages, shows the typing indicator, uploads
 * files and registers the command menu. The core knows pocketpaw: who may talk to the bot, one
 * conversation per chat, the per-chat queue, runs through driveRun, the reply streamed into
 * edited messages, permission and question buttons, commands, and what survives a restart.
 * Text handed to the adapter is already in the platform's markup (see Markup).
 */
import type { Markup } from "./markup.js";

/** Where messages go: a chat, and within it a thread (a forum topic, a Slack thread, a Discord thread). */
export interface ChatRef {
  /** The platform's chat id ("12345", "-100…", "C0123", a snowflake). */
  id: string;
  /** The thread within the chat, when the platform has them and the message was in one. */
  thread?: string;
  /** A group or channel rather than a one-to-one chat (platforms pace those more strictly). */
  group?: boolean;
}

export interface UserRef {
  /** The platform's user id, what the allow list holds. */
  id: string;
  /** How to name them to others in the chat ("@alice", "Alice"). */
  name: string;
}

/** A message the adapter sent or received. */
export interface MessageRef {
  chat: ChatRef;
  id: string;
}

/** A button under a message; `data` comes back in the Press (keep it short: Telegram allows 64 bytes). */
export interface Button {
  label: string;
  data: string;
}

export interface Outgoing {
  /** In the platform's markup (Markup.render / escape). */
  text: string;
  /** Rows of buttons; [] removes the buttons an edited message had. */
  buttons?: Button[][];
  /** The received message this one answers (threads the reply under it where the platform can). */
  replyTo?: string;
}

/** A file that came with a message; fetched only when the core decides to use it. */
export interface IncomingFile {
  name: string;
  mime: string;
  /** As the platform announced it, when it did (checked again after download). */
  size?: number;
  download(): Promise<Uint8Array>;
}

/** A message sent to the bot. */
export interface IncomingMessage {
  kind: "message";
  chat: ChatRef;
  user: UserRef;
  /** The platform's id of the message (answers are threaded under it). */
  id: string;
  text: string;
  files: IncomingFile[];
  /** Set when the message is one of the bot's commands ("/new", "/model x"): name without the prefix, lower case. */
  command?: { name: string; args: string };
}

/** A button pressed. */
export interface Press {
  kind: "press";
  chat: ChatRef;
  user: UserRef;
  /** The message the button is under. */
  message: MessageRef;
  data: string;
  /**
   * Acknowledges the press (platforms show a spinner until then); `text` is a short toast.
   * `alert` marks a text the presser must see (a refusal, an expired button): platforms without
   * transient toasts (Slack) show only those, rather than a lasting note for every press.
   */
  answer(text?: string, alert?: boolean): Promise<void>;
}

export type Incoming = IncomingMessage | Press;

/**
 * What the adapter hands received things to. `accept` is synchronous on purpose: it records,
 * in one transaction with the adapter's `cursor` (Telegram's next update offset), that a turn is
 * due, before anything runs; so after a crash nothing is handled twice and nothing silently lost.
 */
export interface Inbox {
  accept(incoming: Incoming, cursor?: string): void;
  /** For things received that the core never sees (other update kinds): the cursor moves past them. */
  skip(cursor: string): void;
  /** The last cursor accepted or skipped (where to resume after a restart). */
  cursor(): string | undefined;
}

export interface ChannelLimits {
  /** Longest message text, as measured by Markup.measure (Telegram: 4096). */
  messageLength: number;
  /** Least time between two messages sent or edited in one chat (Telegram: ~1 s, 3 s in groups). */
  intervalMs(chat: ChatRef): number;
  /** How long the typing indicator lasts once shown (it is renewed while the agent works). */
  typingMs: number;
  /** Longest button data in bytes. */
  buttonDataBytes: number;
}

/** A command in the platform's command menu. */
export interface CommandSpec {
  name: string;
  description: string;
  /** What the text after the name is, when the command takes one (menus that ask for it, like Discord's slash-command options, show this). */
  args?: string;
}

/** A channel could not start or connect; `permanent` when trying again cannot help (a token refused). */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}

/** A message that can no longer be edited (deleted by someone, too old): the core sends a new one. */
export class MessageGoneError extends Error {}

export interface ChannelAdapter {
  /** "telegram": the conversation keys' prefix, the settings' and logs' name. */
  readonly name: string;
  readonly limits: ChannelLimits;
  readonly markup: Markup;
  /**
   * Connects (checking the token) and starts handing received things to `inbox`, from its
   * cursor on. Resolves once connected; rejects with a message fit for people when it cannot.
   */
  start(inbox: Inbox): Promise<void>;
  /** Stops receiving; resolves once no more will be handed to the inbox. */
  stop(): Promise<void>;
  /**
   * How people write a command here ("/new"): "/" when absent. Named in the core's texts; Slack
   * keeps "/" for its own slash commands, so its adapter reads "!new".
   */
  readonly commandPrefix?: string;
  /** The bot's own name on the platform ("@pocketpaw_bot"), once started. */
  readonly botName: string;
  send(chat: ChatRef, message: Outgoing): Promise<MessageRef>;
  /** Unchanged content is not an error. Throws MessageGoneError when the message cannot be edited any more. */
  edit(ref: MessageRef, message: Outgoing): Promise<void>;
  delete(ref: MessageRef): Promise<void>;
  /**
   * Shows "typing…" in the chat for about limits.typingMs. `about` is the id of the message being
   * answered, for platforms that have no typing indicator for bots and mark that message instead.
   */
  typing(chat: ChatRef, about?: string): Promise<void>;
  sendFile(chat: ChatRef, file: { name: string; data: Uint8Array; caption?: string }): Promise<void>;
  setCommands(commands: CommandSpec[]): Promise<void>;
}

/** What `pocketpaw serve`, the dashboard and `doctor` see of a channel. */
export interface ChannelState {
  name: string;
  state: "starting" | "running" | "retrying" | "stopped" | "failed" | "off";
  /** One line for people (never a token). */
  detail: string;
}
