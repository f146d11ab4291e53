import { DiscordAPIError, HTTPError, RESTJSONErrorCodes } from "discord.js";
import { ChannelError } from "../core/types.js";

/** Interaction and webhook URLs carry a token of their own (`/interactions/<id>/<token>/…`). */
const TOKEN_IN_URL = /\/(interactions|webhooks)\/(\d+)\/[^/\s?]+/g;

export function redactToken(text: string): string {
  return text.replace(TOKEN_IN_URL, "/$1/$2/***");
}

/** Discord's answer for a message that is no longer there (deleted, or its channel gone). */
export function isGone(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.UnknownMessage || error.code === RESTJSONErrorCodes.UnknownChannel)
  );
}

/** What discord.js throws when Discord refuses the token or the intents (its own codes, not Discord's). */
function clientCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * An error of Discord's API or gateway as one sentence for people: what Discord said, or why it
 * could not be reached, and what to do; never a token.
 */
export function discordError(error: unknown, doing: string): ChannelError {
  if (error instanceof ChannelError) return error;
  const code = clientCode(error);
  if ((error instanceof DiscordAPIError && error.status === 401) || code === "TokenInvalid") {
    return new ChannelError(
      "Discord refused the bot token (401): check POCKETPAW_DISCORD_BOT_TOKEN (Developer Portal → your application → Bot → Reset Token).",
      true,
    );
  }
  // @discordjs/ws rejects the login with a plain Error when the gateway closes with 4014.
  if (code === "DisallowedIntents" || (error instanceof Error && /disallowed intents/i.test(error.message))) {
    return new ChannelError(
      "Discord refused the Message Content intent: enable it in the Developer Portal (your application → Bot → Privileged Gateway Intents).",
      true,
    );
  }
  if (error instanceof DiscordAPIError) {
    const said = redactToken(error.message.split("\n")[0] ?? "");
    return new ChannelError(`Discord refused to ${doing} (${error.status} ${error.code}: ${said}).`);
  }
  if (error instanceof HTTPError) return new ChannelError(`Discord answered ${error.status} to ${doing}; it may be down.`);
  const cause = (error as { cause?: unknown } | null)?.cause;
  const detail = error instanceof Error ? error.message : String(error);
  const why = cause instanceof Error && cause.message !== detail ? `${detail} (${cause.message})` : detail;
  return new ChannelError(`Cannot reach Discord to ${doing}: ${redactToken(why)}.`);
}
