import {
  ActionRowBuilder,
  type APIMessage,
  ButtonBuilder,
  ButtonStyle,
  Client,
  Events,
  GatewayIntentBits,
  type Interaction,
  type Message,
  MessageFlags,
  Partials,
  REST,
  Routes,
  SimpleShardingStrategy,
} from "discord.js";
import { clip, describe } from "../core/text.js";
import type {
  Button,
  ChannelAdapter,
  ChannelLimits,
  ChannelState,
  ChatRef,
  CommandSpec,
  Inbox,
  MessageRef,
  Outgoing,
} from "../core/types.js";
import { MessageGoneError } from "../core/types.js";
import { discordError, isGone } from "./errors.js";
import { addressed, chatOf, commandOf, messageOf, pressAnswer, userOf } from "./incoming.js";
import { discordMarkdown } from "./markdown.js";

export interface DiscordOptions {
  token: string;
  /** https://discord.com/api (the client appends /v10), or a test's fake. */
  apiUrl: string;
  /** "" asks the API (GET /gateway/bot); else the gateway to connect to instead of the one it names. */
  gatewayUrl?: string;
  /** Least time between two messages sent or edited in one channel (default 1000 ms: Discord allows 5 per 5 s). */
  intervalMs?: number;
  /** How long a button press waits for the core's answer before it is acknowledged silently (Discord allows 3 s). */
  pressGraceMs?: number;
  /** Told when the gateway connection is lost, regained or refused. */
  onState?(state: ChannelState["state"], detail: string): void;
}

/** Nobody is ever pinged by the bot: not @everyone, not a role, not a user, not whoever it replies to. */
const NO_MENTIONS = { parse: [], replied_user: false };
/** Discord's limits on buttons: 5 rows of 5, labels of 80 characters. */
const ROWS = 5;
const PER_ROW = 5;

/**
 * Discord through discord.js: its REST client (which reads the X-RateLimit-* headers, queues per
 * bucket, keeps under the global 50 requests a second and waits out a 429) and its gateway client
 * (heartbeats, resume, reconnect). Messages come from MESSAGE_CREATE, commands and button presses
 * from INTERACTION_CREATE. The gateway keeps no cursor across restarts: what was said while
 * pocketpaw was down is not delivered again, so the Inbox gets no cursor.
 */
export class DiscordAdapter implements ChannelAdapter {
  readonly name = "discord";
  readonly markup = discordMarkdown;
  readonly limits: ChannelLimits;
  botName = "";
  private client: Client | undefined;
  /**
   * What sends, edits and registers: discord.js's REST client of its own, not the gateway
   * client's, because the core still finishes turns (and closes their prompts) after stop().
   */
  private readonly rest: REST;
  private applicationId = "";
  private inbox: Inbox | undefined;
  /** The names of the commands registered, which typed `/name` or `!name` also reach. */
  private commands = new Set<string>();

  constructor(private readonly o: DiscordOptions) {
    const interval = o.intervalMs ?? 1000;
    this.limits = { messageLength: 2000, intervalMs: () => interval, typingMs: 10_000, buttonDataBytes: 100 };
    this.rest = new REST({ api: o.apiUrl }).setToken(o.token);
  }

  async start(inbox: Inbox): Promise<void> {
    await this.client?.destroy();
    const client = this.makeClient();
    this.client = client;
    try {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      await client.login(this.o.token);
      await ready;
    } catch (error) {
      await client.destroy().catch(() => {});
      this.client = undefined;
      throw discordError(error, "connect");
    }
    this.botName = `@${client.user?.username ?? "bot"}`;
    this.applicationId = client.application?.id ?? client.user?.id ?? "";
    this.inbox = inbox;
  }

  async stop(): Promise<void> {
    this.inbox = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.destroy();
  }

  private makeClient(): Client {
    const gateway = this.o.gatewayUrl;
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.MessageContent,
      ],
      // A DM channel is not in the cache until someone writes in it: without this, DMs are dropped.
      partials: [Partials.Channel],
      allowedMentions: { parse: [], repliedUser: false },
      rest: { api: this.o.apiUrl },
      ws: gateway
        ? {
            // discord.js asks GET /gateway/bot where to connect; the setting overrides only the
            // URL of that answer (the session limits it also carries still come from the API).
            buildStrategy: (manager) => {
              const fetchInfo = manager.fetchGatewayInformation.bind(manager);
              manager.fetchGatewayInformation = async (force?: boolean) => ({ ...(await fetchInfo(force)), url: gateway });
              return new SimpleShardingStrategy(manager);
            },
          }
        : {},
    });
    client.on(Events.MessageCreate, (message) => this.onMessage(message));
    client.on(Events.InteractionCreate, (interaction) => void this.onInteraction(interaction));
    // Only while this client is the live one: stop() closing the gateway is no news.
    const state = (s: ChannelState["state"], detail: string) => {
      if (this.client === client) this.o.onState?.(s, detail);
    };
    client.on(Events.ShardReconnecting, () => state("retrying", "lost the Discord gateway; reconnecting"));
    client.on(Events.ShardResume, () => state("running", `${this.botName}: connected again`));
    client.on(Events.ShardReady, () => this.botName && state("running", `${this.botName}: connected again`));
    client.on(Events.ShardDisconnect, (event) => state("failed", gatewayClosed(event.code)));
    client.on(Events.ShardError, (error) => state("retrying", `Discord gateway: ${describe(error)}`));
    // Without a listener an "error" event would throw.
    client.on(Events.Error, (error) => state("running", `Discord: ${describe(error)}`));
    return client;
  }

  private onMessage(message: Message): void {
    const me = this.client?.user;
    if (!this.inbox || !me || message.author.bot || message.system) return;
    const text = addressed(message, me.id, this.commands);
    if (!text || (!text.text && !text.command && message.attachments.size === 0)) return;
    this.inbox.accept(messageOf(message, text));
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    const inbox = this.inbox;
    if (!inbox) return;
    const fail = (error: unknown) => this.o.onState?.("running", `could not answer an interaction: ${describe(error)}`);
    if (interaction.isChatInputCommand()) {
      const incoming = commandOf(interaction);
      inbox.accept(incoming);
      // Discord wants an answer within 3 s; the core's own answer is a message in the channel
      // (like the text command's), so the interaction gets a quiet acknowledgement only its user sees.
      await interaction
        .reply({ content: this.markup.escape(incoming.text), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } })
        .catch(fail);
      return;
    }
    if (!interaction.isButton() || !interaction.channelId) return;
    const chat = chatOf(interaction.channelId, interaction.inGuild());
    inbox.accept({
      kind: "press",
      chat,
      user: userOf(interaction.user),
      message: { chat, id: interaction.message.id },
      data: interaction.customId,
      answer: pressAnswer(interaction, this.o.pressGraceMs ?? 2000, this.markup.escape, fail),
    });
  }

  async send(chat: ChatRef, message: Outgoing): Promise<MessageRef> {
    const body = {
      content: message.text,
      allowed_mentions: NO_MENTIONS,
      ...components(message.buttons),
      ...(message.replyTo ? { message_reference: { message_id: message.replyTo, fail_if_not_exists: false } } : {}),
    };
    try {
      const sent = (await this.rest.post(Routes.channelMessages(chat.id), { body })) as APIMessage;
      return { chat, id: sent.id };
    } catch (error) {
      throw discordError(error, "send a message");
    }
  }

  async edit(ref: MessageRef, message: Outgoing): Promise<void> {
    const body = { content: message.text, allowed_mentions: NO_MENTIONS, ...components(message.buttons) };
    try {
      await this.rest.patch(Routes.channelMessage(ref.chat.id, ref.id), { body });
    } catch (error) {
      if (isGone(error)) throw new MessageGoneError(describe(error));
      throw discordError(error, "edit a message");
    }
  }

  async delete(ref: MessageRef): Promise<void> {
    await this.rest.delete(Routes.channelMessage(ref.chat.id, ref.id)).catch((error) => {
      // Already gone: nothing left to do.
      if (!isGone(error)) throw discordError(error, "delete a message");
    });
  }

  async typing(chat: ChatRef): Promise<void> {
    await this.rest.post(Routes.channelTyping(chat.id)).catch((error) => {
      throw discordError(error, "show typing");
    });
  }

  async sendFile(chat: ChatRef, file: { name: string; data: Uint8Array; caption?: string }): Promise<void> {
    const body = {
      ...(file.caption ? { content: clip(file.caption, 2000) } : {}),
      allowed_mentions: NO_MENTIONS,
      attachments: [{ id: 0, filename: file.name }],
    };
    await this.rest
      .post(Routes.channelMessages(chat.id), { body, files: [{ name: file.name, data: Buffer.from(file.data) }] })
      .catch((error) => {
        throw discordError(error, "send a file");
      });
  }

  /** Registers the slash commands (global, PUT /applications/{id}/commands: the whole list at once). */
  async setCommands(commands: CommandSpec[]): Promise<void> {
    this.commands = new Set(commands.map((c) => c.name));
    const body = commands.map((c) => ({
      name: c.name,
      description: clip(c.description, 100),
      ...(c.args ? { options: [{ type: 3, name: "value", description: clip(c.args, 100), required: false }] } : {}),
    }));
    await this.rest.put(Routes.applicationCommands(this.applicationId), { body }).catch((error) => {
      throw discordError(error, "register the slash commands");
    });
  }
}

/**
 * Buttons as Discord's action rows: the core's rows as given when Discord can take them, else
 * repacked five to a row (a question with many options); past 25 buttons the rest are dropped.
 */
function components(buttons: Button[][] | undefined): { components?: ReturnType<ActionRowBuilder<ButtonBuilder>["toJSON"]>[] } {
  if (!buttons) return {};
  const fits = buttons.length <= ROWS && buttons.every((row) => row.length <= PER_ROW);
  const rows = fits ? buttons : chunk(buttons.flat().slice(0, ROWS * PER_ROW), PER_ROW);
  return {
    components: rows
      .filter((row) => row.length)
      .map((row) =>
        new ActionRowBuilder<ButtonBuilder>()
          .addComponents(
            row.map((b) =>
              new ButtonBuilder()
                .setCustomId(b.data)
                .setLabel(clip(b.label, 80) || "…")
                .setStyle(ButtonStyle.Secondary),
            ),
          )
          .toJSON(),
      ),
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));
}

/** Why the gateway closed for good, for people (https://discord.com/developers/docs/topics/opcodes-and-status-codes). */
function gatewayClosed(code: number): string {
  if (code === 4004) return "Discord refused the bot token: check POCKETPAW_DISCORD_BOT_TOKEN.";
  if (code === 4014)
    return "Discord refused the Message Content intent: enable it in the Developer Portal (Bot → Privileged Gateway Intents).";
  return `Discord closed the gateway connection for good (code ${code}); restart pocketpaw serve.`;
}
