import type { IncomingMessage } from "node:http";
import type { FakeDiscord } from "./fake-discord.js";
import {
  type ApiError,
  apiError,
  channelObject,
  checkCommands,
  checkMessage,
  type FakeAttachment,
  type FakeChannel,
  type FakeMessage,
  formError,
  mentionsOf,
  messageObject,
  snowflake,
  userObject,
} from "./fake-discord-wire.js";

/**
 * The REST routes of the Discord fake (/api/v10), as Discord answers them: the message and
 * interaction routes with Discord's checks and error codes. https://discord.com/developers/docs/resources/message
 */

export type RouteResult = ApiError | { ok: unknown; status?: number };

export function route(
  fake: FakeDiscord,
  method: string,
  path: string,
  body: Record<string, unknown>,
  files: FakeAttachment[],
  query: URLSearchParams,
): ApiError | { ok: unknown; status?: number } {
  const parts = path.split("/").filter(Boolean);
  const at = (i: number) => parts[i] ?? "";
  const route = `${method} /${parts.map((p) => (/^\d{5,}$/.test(p) || p.length > 40 ? "{}" : p)).join("/")}`;
  switch (route) {
    case "GET /gateway/bot":
      return {
        ok: {
          url: fake.announcedGateway || fake.gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        },
      };
    case "GET /users/@me":
      return { ok: { ...userObject(fake.bot), verified: true, flags: 0, mfa_enabled: false } };
    case "GET /channels/{}": {
      const channel = fake.channels.get(at(1));
      return channel ? { ok: channelObject(channel) } : apiError(404, 10003, "Unknown Channel");
    }
    case "POST /channels/{}/typing":
      return fake.channels.has(at(1)) ? { ok: undefined, status: 204 } : apiError(404, 10003, "Unknown Channel");
    case "POST /channels/{}/messages":
      return create(fake, at(1), body, files);
    case "PATCH /channels/{}/messages/{}":
      return edit(fake, at(1), at(3), body);
    case "DELETE /channels/{}/messages/{}": {
      const message = fake.find(at(1), at(3));
      if (!message) return apiError(404, 10008, "Unknown Message");
      message.deleted = true;
      return { ok: undefined, status: 204 };
    }
    case "PUT /applications/{}/commands": {
      const commands = body as unknown as Array<Record<string, unknown>>;
      if (!Array.isArray(commands)) return formError("_", "ARRAY_TYPE_CONVERT", "Must be an array.");
      const problem = checkCommands(commands);
      if (problem) return problem;
      fake.commands = commands.map((c) => ({
        ...c,
        id: snowflake(),
        application_id: fake.bot.id,
        type: 1,
        version: snowflake(),
        default_member_permissions: null,
        dm_permission: true,
        nsfw: false,
      }));
      return { ok: fake.commands };
    }
    case "POST /interactions/{}/{}/callback":
      return callback(fake, at(1), at(2), body, query);
    case "POST /webhooks/{}/{}": {
      const interaction = [...fake.interactions.values()].find((i) => i.token === at(2));
      if (!interaction?.acked) return apiError(404, 10015, "Unknown Webhook");
      interaction.replies.push({ content: String(body.content ?? ""), ephemeral: (Number(body.flags ?? 0) & 64) !== 0 });
      const channel = fake.channels.get(interaction.channelId) as FakeChannel;
      return {
        ok: messageObject(
          fake.store(channel, fake.bot, { content: String(body.content ?? ""), flags: Number(body.flags ?? 0) }),
          channel,
          fake.users,
        ),
      };
    }
    default:
      return apiError(404, 0, "404: Not Found");
  }
}

function create(fake: FakeDiscord, channelId: string, body: Record<string, unknown>, files: FakeAttachment[]): ApiError | { ok: unknown } {
  const channel = fake.channels.get(channelId);
  if (!channel) return apiError(404, 10003, "Unknown Channel");
  const problem = checkMessage(body, files.length > 0, false);
  if (problem) return problem;
  const reference = body.message_reference as { message_id?: string; fail_if_not_exists?: boolean } | undefined;
  const replied = reference?.message_id ? fake.find(channelId, reference.message_id) : undefined;
  if (reference?.message_id && !replied && reference.fail_if_not_exists !== false)
    return formError("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message");
  const allowedMentions = body.allowed_mentions as FakeMessage["allowedMentions"];
  const content = String(body.content ?? "");
  const mentions = mentionsOf(content, allowedMentions);
  const pingsReplied = replied && (allowedMentions ? allowedMentions.replied_user === true : true);
  const message = fake.store(channel, fake.bot, {
    content,
    components: (body.components as FakeMessage["components"]) ?? [],
    attachments: files,
    mentionEveryone: mentions.everyone,
    mentions: [...mentions.users, ...(pingsReplied ? [replied.author.id] : [])],
    ...(replied ? { replyTo: replied.id } : {}),
    ...(allowedMentions ? { allowedMentions } : {}),
  });
  const object = messageObject(message, channel, fake.users);
  // Discord sends a bot its own messages too.
  fake.gateway.dispatch("MESSAGE_CREATE", { ...object, channel_type: channel.type });
  return { ok: object };
}

function edit(fake: FakeDiscord, channelId: string, id: string, body: Record<string, unknown>): ApiError | { ok: unknown } {
  const message = fake.find(channelId, id);
  if (!message) return apiError(404, 10008, "Unknown Message");
  if (message.author.id !== fake.bot.id) return apiError(403, 50005, "Cannot edit a message authored by another user");
  const problem = checkMessage(body, message.attachments.length > 0, true);
  if (problem) return problem;
  if (typeof body.content === "string") message.content = body.content;
  if (body.components) message.components = body.components as FakeMessage["components"];
  const mentions = mentionsOf(message.content, body.allowed_mentions as FakeMessage["allowedMentions"]);
  message.mentionEveryone ||= mentions.everyone;
  message.edits++;
  return { ok: messageObject(message, fake.channels.get(channelId) as FakeChannel, fake.users) };
}

function callback(
  fake: FakeDiscord,
  id: string,
  token: string,
  body: Record<string, unknown>,
  query: URLSearchParams,
): ApiError | { ok: unknown; status?: number } {
  const interaction = fake.interactions.get(id);
  if (!interaction || interaction.token !== token || Date.now() - interaction.createdAt > 3000)
    return apiError(404, 10062, "Unknown interaction");
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
  return {
    ok: {
      interaction: {
        id,
        type: 3,
        response_message_loading: type === 5,
        response_message_ephemeral: (Number(data.flags ?? 0) & 64) !== 0,
      },
      resource: { type },
    },
  };
}

/** The request's JSON, from a JSON body or a multipart one's payload_json, and its files. */
export async function bodyOf(req: IncomingMessage): Promise<{ json: Record<string, unknown>; files: FakeAttachment[] }> {
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
      files.push({
        id: snowflake(),
        filename: value.name,
        content_type: value.type || "application/octet-stream",
        size: bytes.length,
        url: "",
        bytes,
      });
    }
    return { json, files };
  }
  return { json: raw.length ? JSON.parse(raw.toString()) : {}, files: [] };
}
