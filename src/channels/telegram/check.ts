import { Bot } from "grammy";
import type { Check } from "../../agent/backend.js";
import { failedCheck } from "../core/check.js";
import { telegramError } from "./errors.js";

/** `pocketpaw doctor`'s Telegram line: the token is accepted (getMe), and by which bot. */
export async function checkTelegram(token: string, apiRoot: string, timeoutMs = 10_000): Promise<Check> {
  const bot = new Bot(token, { client: { apiRoot, timeoutSeconds: Math.ceil(timeoutMs / 1000) } });
  try {
    const me = await bot.api.getMe();
    return { name: "telegram", status: "ok", detail: `@${me.username} (${me.first_name}) at ${apiRoot}` };
  } catch (error) {
    const fix = "Copy the token again from @BotFather (/token) into POCKETPAW_TELEGRAM_BOT_TOKEN.";
    return failedCheck("telegram", telegramError(error, "check the token"), fix, apiRoot);
  }
}
