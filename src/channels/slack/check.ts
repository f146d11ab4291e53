import { webApi } from "@slack/bolt";
import type { Check } from "../../agent/backend.js";
import { failedCheck } from "../core/check.js";
import { slackError } from "./errors.js";

const FIX_BOT = "Copy the Bot User OAuth Token (xoxb-…, OAuth & Permissions) into POCKETPAW_SLACK_BOT_TOKEN.";
const FIX_APP =
  "Create an app-level token with the connections:write scope (Basic Information → App-Level Tokens) into POCKETPAW_SLACK_APP_TOKEN, and turn Socket Mode on.";

/**
 * `pocketpaw doctor`'s Slack line: the bot token is accepted (auth.test, which also names the bot
 * and workspace), and the app-level token can open a Socket Mode connection (apps.connections.open
 * hands out a WebSocket URL; nothing connects to it, and Slack lets it expire).
 */
export async function checkSlack(botToken: string, appToken: string, apiUrl: string, timeoutMs = 10_000): Promise<Check> {
  const fail = (detail: string, fix: string): Check => ({ name: "slack", status: "fail", detail, fix });
  if (!botToken) return fail("POCKETPAW_SLACK_BOT_TOKEN is not set", FIX_BOT);
  if (!appToken) return fail("POCKETPAW_SLACK_APP_TOKEN is not set", FIX_APP);
  const options = { slackApiUrl: apiUrl, timeout: timeoutMs, retryConfig: { retries: 0 } };
  let bot: string;
  try {
    const me = await new webApi.WebClient(botToken, options).auth.test();
    bot = `@${me.user ?? me.user_id} in ${me.team ?? me.team_id}`;
  } catch (error) {
    return failedCheck("slack", slackError(error, "check the bot token"), FIX_BOT, apiUrl);
  }
  try {
    await new webApi.WebClient(undefined, { ...options, headers: { Authorization: `Bearer ${appToken}` } }).apps.connections.open();
  } catch (error) {
    const fix = "Turn Socket Mode on for the app (Settings → Socket Mode).";
    return failedCheck("slack", slackError(error, "open a Socket Mode connection", "app"), FIX_APP, apiUrl, fix);
  }
  return { name: "slack", status: "ok", detail: `${bot} (Socket Mode) at ${apiUrl}` };
}
