import { type ButtonInteraction, type ChatInputCommandInteraction, type Message, MessageFlags, type User } from "discord.js";
import type { ChatRef, IncomingFile, IncomingMessage, UserRef } from "../core/types.js";

/**
 * What Discord delivers, as the core's Incoming: one chat per channel (a thread is a channel of
 * its own on Discord, so it is its own conversation), the user by snowflake, files fetched from
 * their attachment URL when the core wants them.
 */

export function chatOf(channelId: string, inGuild: boolean): ChatRef {
  return { id: channelId, ...(inGuild ? { group: true } : {}) };
}

export function userOf(user: User): UserRef {
  return { id: user.id, name: `@${user.username}` };
}

/** What is left of a message once it is known to be for the bot. */
export interface Addressed {
  text: string;
  command?: { name: string; args: string };
}

/**
 * The text of a message meant for the bot, or undefined when it is not. In a DM everything is;
 * in a server channel only a message that mentions the bot or replies to one of its messages (a
 * bot answering every message of a channel is noise, and strangers would each get a refusal).
 * `/name` or `!name` of a command the bot registered is that command: the text form for a client
 * that has not seen the slash commands yet, or for people who prefer typing them.
 */
export function addressed(message: Message, botId: string, commands: ReadonlySet<string>): Addressed | undefined {
  let text = message.content;
  if (message.inGuild()) {
    const mentioned = message.mentions.users.has(botId);
    const replyToBot = message.mentions.repliedUser?.id === botId;
    if (!mentioned && !replyToBot) return undefined;
    text = text.replace(new RegExp(`<@!?${botId}>`, "g"), "").trim();
  }
  const command = /^[/!]([a-z_-]{1,32})(?:\s+([\s\S]*))?$/i.exec(text.trim());
  const name = command?.[1]?.toLowerCase();
  if (name && commands.has(name)) return { text, command: { name, args: (command?.[2] ?? "").trim() } };
  return { text: text.trim() };
}

export function filesOf(message: Message): IncomingFile[] {
  return [...message.attachments.values()].map((a) => ({
    name: a.name || `file-${a.id}`,
    mime: a.contentType ?? "application/octet-stream",
    size: a.size,
    download: async () => {
      const response = await fetch(a.url);
      if (!response.ok) throw new Error(`Discord answered ${response.status} for the file`);
      return new Uint8Array(await response.arrayBuffer());
    },
  }));
}

export function messageOf(message: Message, text: Addressed): IncomingMessage {
  return {
    kind: "message",
    chat: chatOf(message.channelId, message.inGuild()),
    user: userOf(message.author),
    id: message.id,
    text: text.text,
    files: filesOf(message),
    ...(text.command ? { command: text.command } : {}),
  };
}

/** A slash command as the core's command message; its id is the interaction's (there is no message to answer). */
export function commandOf(interaction: ChatInputCommandInteraction): IncomingMessage {
  const args = interaction.options.data.map((o) => String(o.value ?? "")).join(" ");
  return {
    kind: "message",
    chat: chatOf(interaction.channelId, interaction.inGuild()),
    user: userOf(interaction.user),
    id: interaction.id,
    text: `/${interaction.commandName}${args ? ` ${args}` : ""}`,
    files: [],
    command: { name: interaction.commandName.toLowerCase(), args },
  };
}

/**
 * A press's acknowledgement. Discord wants one within 3 s ("This interaction failed" otherwise),
 * and the core may take longer (it answers after the backend took the reply): after `graceMs`
 * the press is acknowledged silently, and a later `answer(text)` becomes an ephemeral follow-up.
 */
export function pressAnswer(
  interaction: ButtonInteraction,
  graceMs: number,
  escapeText: (text: string) => string,
  onError: (error: unknown) => void,
) {
  let state: "open" | "deferring" | "done" = "open";
  let deferred: Promise<unknown> | undefined;
  const timer = setTimeout(() => {
    if (state !== "open") return;
    state = "deferring";
    deferred = interaction.deferUpdate().catch(onError);
  }, graceMs);
  return async (text?: string): Promise<void> => {
    clearTimeout(timer);
    if (state === "done") return;
    const wasDeferring = state === "deferring";
    state = "done";
    // A toast is plain text, shown only to who pressed.
    const toast = text ? { content: escapeText(text), flags: MessageFlags.Ephemeral as const, allowedMentions: { parse: [] } } : undefined;
    if (wasDeferring) {
      await deferred;
      if (toast) await interaction.followUp(toast);
      return;
    }
    if (toast) await interaction.reply(toast);
    else await interaction.deferUpdate();
  };
}
