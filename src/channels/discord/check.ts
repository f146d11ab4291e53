import { type APIUser, REST, Routes } from "discord.js";
import type { Check } from "../../agent/backend.js";
import { failedCheck } from "../core/check.js";
import { discordError } from "./errors.js";

/** `pocketpaw doctor`'s Discord line: the token is accepted (GET /users/@me), and by which bot. */
export async function checkDiscord(token: string, apiUrl: string, timeoutMs = 10_000): Promise<Check> {
  // retries: 0 — doctor reports what it sees at once instead of retrying a server that is down.
  const rest = new REST({ api: apiUrl, timeout: timeoutMs, retries: 0 }).setToken(token);
  try {
    const me = (await rest.get(Routes.user())) as APIUser;
    return { name: "discord", status: "ok", detail: `@${me.username} (id ${me.id}) at ${apiUrl}` };
  } catch (error) {
    const fix = "Copy the token again from the Developer Portal (your application → Bot → Reset Token) into POCKETPAW_DISCORD_BOT_TOKEN.";
    return failedCheck("discord", discordError(error, "check the token"), fix, apiUrl);
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}
