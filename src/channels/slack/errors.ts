import { webApi } from "@slack/bolt";
import { ChannelError } from "../core/types.js";

// Bolt's own copy of the Web API client (the one pocketpaw depends on through it).
const { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } = webApi;

/** Slack's tokens (bot xoxb-, user xoxp-, app-level xapp-…), should an error ever quote one. */
const TOKEN = /\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+/g;

export function redactToken(text: string): string {
  return text.replace(TOKEN, "x***");
}

/** Errors that say the token itself is refused: trying again cannot help. */
const REFUSED_TOKEN = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "not_allowed_token_type",
  "user_removed_from_team",
  "team_disabled",
]);

/** Which setting holds the token a method uses: apps.connections.open takes the app-level one. */
export type TokenKind = "bot" | "app";

const SETTING: Record<TokenKind, string> = { bot: "POCKETPAW_SLACK_BOT_TOKEN (xoxb-…)", app: "POCKETPAW_SLACK_APP_TOKEN (xapp-…)" };

/** The platform error's code ("channel_not_found"), or undefined for other failures. */
export function slackCode(error: unknown): string | undefined {
  return error instanceof WebAPIPlatformError ? error.data.error : undefined;
}

/**
 * An error of Slack's Web API as one sentence for people: what Slack said, or why it could not
 * be reached, and what to do; never a token.
 */
export function slackError(error: unknown, doing: string, token: TokenKind = "bot"): ChannelError {
  if (error instanceof ChannelError) return error;
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    if (REFUSED_TOKEN.has(code)) {
      return new ChannelError(`Slack refused the ${token === "app" ? "app-level" : "bot"} token (${code}): check ${SETTING[token]}.`, true);
    }
    if (code === "missing_scope") {
      const needed = (error.data as { needed?: unknown }).needed;
      const scope = typeof needed === "string" ? needed : "?";
      return new ChannelError(
        `Slack refused to ${doing}: the app lacks the ${scope} scope (add it under OAuth & Permissions, then reinstall the app).`,
      );
    }
    return new ChannelError(`Slack refused to ${doing} (${code}).`);
  }
  if (error instanceof WebAPIRateLimitedError) {
    return new ChannelError(`Slack asked to slow down while trying to ${doing} (retry after ${error.retryAfter} s).`);
  }
  if (error instanceof WebAPIHTTPError) {
    return new ChannelError(`Slack answered HTTP ${error.statusCode} to ${doing}.`);
  }
  if (error instanceof WebAPIRequestError) {
    return new ChannelError(`Cannot reach Slack to ${doing}: ${redactToken(error.original.message)}.`);
  }
  return new ChannelError(redactToken(error instanceof Error ? error.message : String(error)));
}
