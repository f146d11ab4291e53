/**
 * Discord's objects as its API sends them (the fields discord.js reads), and its checks of what a
 * bot sends, with Discord's error codes. https://discord.com/developers/docs/resources/message
 */

export interface FakeUser {
  id: string;
  username: string;
  global_name?: string;
}

export interface FakeChannel {
  id: string;
  /** 0 guild text, 1 DM, 11 public thread. */
  type: 0 | 1 | 11;
  name?: string;
  guildId?: string;
  parentId?: string;
  recipient?: FakeUser;
}

export interface FakeAttachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
  bytes: Buffer;
}

export interface FakeMessage {
  id: string;
  channelId: string;
  author: FakeUser & { bot?: boolean };
  content: string;
  components: Array<{ type: number; components: Array<{ type: number; custom_id?: string; label?: string; style?: number }> }>;
  attachments: FakeAttachment[];
  /** The message it replies to. */
  replyTo?: string;
  allowedMentions?: { parse?: string[]; users?: string[]; roles?: string[]; replied_user?: boolean };
  /** As Discord computes them from the content and allowed_mentions: who would be pinged. */
  mentionEveryone: boolean;
  mentions: string[];
  /** Ephemeral (flags 64): seen only by one user. */
  flags: number;
  edits: number;
  deleted: boolean;
  createdAt: number;
}

export type ApiError = { status: number; body: { code: number; message: string; errors?: unknown } };

export const apiError = (status: number, code: number, message: string, errors?: unknown): ApiError => ({
  status,
  body: { code, message, ...(errors ? { errors } : {}) },
});

/** Discord's 50035 with the field's error, as `{field: {_errors: [...]}}`. */
export const formError = (field: string, code: string, message: string): ApiError =>
  apiError(400, 50035, "Invalid Form Body", { [field]: { _errors: [{ code, message }] } });

let counter = 0;
/** A snowflake: milliseconds since Discord's epoch, shifted, plus a counter. */
export function snowflake(): string {
  counter = (counter + 1) % 4096;
  return ((BigInt(Date.now() - 1_420_070_400_000) << 22n) | BigInt(counter)).toString();
}

export function userObject(user: FakeUser & { bot?: boolean }) {
  return {
    id: user.id,
    username: user.username,
    discriminator: "0",
    global_name: user.global_name ?? null,
    avatar: null,
    ...(user.bot ? { bot: true } : {}),
  };
}

export function channelObject(channel: FakeChannel) {
  if (channel.type === 1)
    return {
      id: channel.id,
      type: 1,
      last_message_id: null,
      recipients: channel.recipient ? [userObject(channel.recipient)] : [],
      flags: 0,
    };
  return {
    id: channel.id,
    type: channel.type,
    guild_id: channel.guildId,
    name: channel.name ?? "channel",
    position: 0,
    permission_overwrites: [],
    nsfw: false,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
    parent_id: channel.parentId ?? null,
    flags: 0,
    ...(channel.type === 11
      ? {
          owner_id: "1",
          thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
          message_count: 0,
          member_count: 1,
        }
      : {}),
  };
}

export function memberObject(user: FakeUser) {
  return {
    user: userObject(user),
    roles: [],
    joined_at: new Date(0).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    permissions: "2248473465835073",
  };
}

export function messageObject(m: FakeMessage, channel: FakeChannel, users: Map<string, FakeUser>) {
  return {
    id: m.id,
    type: m.replyTo ? 19 : 0,
    channel_id: m.channelId,
    ...(channel.guildId ? { guild_id: channel.guildId } : {}),
    author: userObject(m.author),
    content: m.content,
    timestamp: new Date(m.createdAt).toISOString(),
    edited_timestamp: m.edits ? new Date().toISOString() : null,
    tts: false,
    mention_everyone: m.mentionEveryone,
    mentions: m.mentions.flatMap((id) => {
      const user = users.get(id);
      return user ? [userObject(user)] : [];
    }),
    mention_roles: [],
    attachments: m.attachments.map(({ bytes: _bytes, ...a }) => a),
    embeds: [],
    pinned: false,
    flags: m.flags,
    components: m.components,
    ...(m.replyTo
      ? {
          message_reference: {
            type: 0,
            message_id: m.replyTo,
            channel_id: m.channelId,
            ...(channel.guildId ? { guild_id: channel.guildId } : {}),
          },
        }
      : {}),
  };
}

/**
 * Who a message pings, as Discord decides: by default (no allowed_mentions) every mention in the
 * content; with allowed_mentions, only the kinds in `parse` and the ids listed.
 * https://discord.com/developers/docs/resources/message#allowed-mentions-object
 */
export function mentionsOf(content: string, allowed: FakeMessage["allowedMentions"]): { everyone: boolean; users: string[] } {
  const parse = allowed ? (allowed.parse ?? []) : ["users", "roles", "everyone"];
  const everyone = parse.includes("everyone") && /@(everyone|here)\b/.test(content);
  const mentioned = [...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1] ?? "");
  const users = mentioned.filter((id) => parse.includes("users") || (allowed?.users ?? []).includes(id));
  return { everyone, users: [...new Set(users)] };
}

/** Discord's checks of a message's content and components; undefined when it would be accepted. */
export function checkMessage(body: Record<string, unknown>, hasFiles: boolean, editing: boolean): ApiError | undefined {
  const content = body.content;
  if (content !== undefined && content !== null && typeof content !== "string")
    return formError("content", "STRING_TYPE_CONVERT", "Could not interpret the value as string.");
  if (typeof content === "string" && content.length > 2000)
    return formError("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
  const components = body.components as FakeMessage["components"] | undefined;
  if (!editing && !content && !hasFiles && !components?.length) return apiError(400, 50006, "Cannot send an empty message");
  const allowed = body.allowed_mentions as FakeMessage["allowedMentions"] | undefined;
  if (allowed?.parse?.some((kind) => !["users", "roles", "everyone"].includes(kind)))
    return formError("allowed_mentions", "ALLOWED_MENTIONS_PARSE_INVALID", "Invalid parse type.");
  if (!components) return undefined;
  if (components.length > 5) return formError("components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.");
  const ids = new Set<string>();
  for (const row of components) {
    if (row.type !== 1 || !row.components?.length || row.components.length > 5)
      return formError("components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.");
    for (const button of row.components) {
      if (button.type !== 2) return formError("components", "COMPONENT_TYPE_INVALID", "Invalid component type.");
      if (!button.custom_id || button.custom_id.length > 100)
        return formError("components", "BASE_TYPE_BAD_LENGTH", "custom_id must be between 1 and 100 in length.");
      if (!button.label || button.label.length > 80)
        return formError("components", "BASE_TYPE_BAD_LENGTH", "label must be between 1 and 80 in length.");
      if (ids.has(button.custom_id))
        return formError("components", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated");
      ids.add(button.custom_id);
    }
  }
  return undefined;
}

/** Discord's checks of an application command: names lower case, 1–32; descriptions 1–100. */
export function checkCommands(
  commands: Array<{ name?: string; description?: string; options?: Array<{ name?: string; description?: string }> }>,
): ApiError | undefined {
  const name = /^[-_\p{Ll}\p{N}]{1,32}$/u;
  for (const [i, c] of commands.entries()) {
    if (!c.name || !name.test(c.name)) return formError(`${i}.name`, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    if (!c.description || c.description.length > 100)
      return formError(`${i}.description`, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    for (const o of c.options ?? []) {
      if (!o.name || !name.test(o.name) || !o.description || o.description.length > 100)
        return formError(`${i}.options`, "APPLICATION_COMMAND_INVALID_NAME", "Option is invalid");
    }
  }
  return undefined;
}

/** A GUILD_CREATE's guild: its channels, the bot as its one member. */
export function guildObject(guildId: string, channels: FakeChannel[], bot: FakeUser) {
  return {
    id: guildId,
    name: "Test guild",
    icon: null,
    owner_id: "1",
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      {
        id: guildId,
        name: "@everyone",
        permissions: "2248473465835073",
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    joined_at: new Date(0).toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    members: [memberObject(bot)],
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
