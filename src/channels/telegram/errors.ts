import { GrammyError, HttpError } from "grammy";
import { ChannelError } from "../core/types.js";

/** The bot token inside a Bot API URL (`/bot123:ABC/`), as some network errors quote the URL. */
const TOKEN_IN_URL = /bot\d+:[A-Za-z0-9_-]+/g;

export function redactToken(text: string): string {
  return text.replace(TOKEN_IN_URL, "bot***");
}

/**
 * An error of the Bot API as one sentence for people: what Telegram said, or why it could not
 * be reached, and what to do; never the token.
 */
export function telegramError(error: unknown, doing: string): ChannelError {
  if (error instanceof GrammyError) {
    const said = redactToken(error.description);
    if (error.error_code === 401 || (error.error_code === 404 && error.method === "getMe")) {
      return new ChannelError(
        `Telegram refused the bot token (${error.error_code} ${said}): check POCKETPAW_TELEGRAM_BOT_TOKEN (@BotFather gives it).`,
        true,
      );
    }
    if (error.error_code === 409) {
      return new ChannelError(`Another program receives this bot's updates (a webhook, or a second pocketpaw): ${said}.`);
    }
    return new ChannelError(`Telegram refused to ${doing} (${error.error_code}: ${said}).`);
  }
  if (error instanceof HttpError) {
    const cause = error.error instanceof Error ? error.error.message : String(error.error);
    return new ChannelError(`Cannot reach Telegram to ${doing}: ${redactToken(cause)}.`);
  }
  return new ChannelError(redactToken(error instanceof Error ? error.message : String(error)));
}
