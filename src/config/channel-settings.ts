/**
 * The chat channels' settings (Telegram, Slack, Discord), part of the one settings table
 * (settings.ts spreads them into SETTINGS). A channel starts with `pocketpaw serve` when its
 * token is set; without an allow list it refuses to start. Tokens are secrets: masked wherever
 * settings are shown, and never read from a flag (the flag names below are for `config` only).
 */
import { httpUrl, matching, refine, setting, then, trimmedText, userList } from "./values.js";

const token = trimmedText;
/** An http(s) base URL kept with exactly one trailing slash (Slack's clients append method names). */
const slashedUrl = then(httpUrl, (url) => `${url}/`);
/** "" (ask the API where the gateway is) or a ws:// / wss:// URL. */
const gatewayUrl = refine(trimmedText, (value) => value === "" || (URL.canParse(value) && /^wss?:$/.test(new URL(value).protocol)));

const ALLOW_HELP = "or * for everyone (it must be said explicitly: an empty list keeps the channel off)";

export const CHANNEL_SETTINGS = [
  setting({
    name: "telegramBotToken",
    flag: "--telegram-bot-token",
    env: "POCKETPAW_TELEGRAM_BOT_TOKEN",
    configKey: "telegram_bot_token",
    default: "",
    description: "Token of the Telegram bot (from @BotFather); set, `pocketpaw serve` runs the Telegram channel.",
    expected: "a bot token, e.g. 123456:ABC-DEF…",
    secret: true,
    parse: matching(token, /^(?:|\d+:[A-Za-z0-9_-]+)$/),
  }),
  setting({
    name: "telegramAllowedUsers",
    flag: "--telegram-allowed-users",
    env: "POCKETPAW_TELEGRAM_ALLOWED_USERS",
    configKey: "telegram_allowed_users",
    default: "",
    description: "Telegram user ids allowed to use the bot, comma-separated, or * for everyone.",
    expected: `numeric Telegram user ids, comma-separated (e.g. 12345,67890), ${ALLOW_HELP}`,
    secret: false,
    parse: userList(/^\d{1,20}$/),
  }),
  setting({
    name: "telegramApiRoot",
    flag: "--telegram-api-root",
    env: "POCKETPAW_TELEGRAM_API_ROOT",
    configKey: "telegram_api_root",
    default: "https://api.telegram.org",
    description: "Root URL of the Telegram Bot API (a self-hosted Bot API server's, for instance).",
    expected: "an http:// or https:// URL, e.g. https://api.telegram.org",
    secret: false,
    parse: httpUrl,
  }),
  setting({
    name: "slackBotToken",
    flag: "--slack-bot-token",
    env: "POCKETPAW_SLACK_BOT_TOKEN",
    configKey: "slack_bot_token",
    default: "",
    description: "Bot token of the Slack app (xoxb-…); with the app token, `pocketpaw serve` runs the Slack channel.",
    expected: "a Slack bot token, xoxb-…",
    secret: true,
    parse: matching(token, /^(?:|xoxb-\S+)$/),
  }),
  setting({
    name: "slackAppToken",
    flag: "--slack-app-token",
    env: "POCKETPAW_SLACK_APP_TOKEN",
    configKey: "slack_app_token",
    default: "",
    description: "App-level token of the Slack app (xapp-…), for Socket Mode.",
    expected: "a Slack app-level token, xapp-…",
    secret: true,
    parse: matching(token, /^(?:|xapp-\S+)$/),
  }),
  setting({
    name: "slackAllowedUsers",
    flag: "--slack-allowed-users",
    env: "POCKETPAW_SLACK_ALLOWED_USERS",
    configKey: "slack_allowed_users",
    default: "",
    description: "Slack user ids allowed to use the bot, comma-separated, or * for everyone.",
    expected: `Slack user ids, comma-separated (e.g. U012AB3CD,W0456EF7G), ${ALLOW_HELP}`,
    secret: false,
    parse: userList(/^[A-Z0-9]{2,30}$/),
  }),
  setting({
    name: "slackApiUrl",
    flag: "--slack-api-url",
    env: "POCKETPAW_SLACK_API_URL",
    configKey: "slack_api_url",
    default: "https://slack.com/api/",
    description: "Base URL of Slack's Web API.",
    expected: "an http:// or https:// URL, e.g. https://slack.com/api/",
    secret: false,
    parse: slashedUrl,
  }),
  setting({
    name: "discordBotToken",
    flag: "--discord-bot-token",
    env: "POCKETPAW_DISCORD_BOT_TOKEN",
    configKey: "discord_bot_token",
    default: "",
    description: "Token of the Discord bot; set, `pocketpaw serve` runs the Discord channel.",
    expected: "a Discord bot token",
    secret: true,
    parse: matching(token, /^\S*$/),
  }),
  setting({
    name: "discordAllowedUsers",
    flag: "--discord-allowed-users",
    env: "POCKETPAW_DISCORD_ALLOWED_USERS",
    configKey: "discord_allowed_users",
    default: "",
    description: "Discord user ids allowed to use the bot, comma-separated, or * for everyone.",
    expected: `numeric Discord user ids, comma-separated, ${ALLOW_HELP}`,
    secret: false,
    parse: userList(/^\d{1,20}$/),
  }),
  setting({
    name: "discordApiUrl",
    flag: "--discord-api-url",
    env: "POCKETPAW_DISCORD_API_URL",
    configKey: "discord_api_url",
    default: "https://discord.com/api",
    description: "Base URL of Discord's REST API (the version is appended by the client).",
    expected: "an http:// or https:// URL, e.g. https://discord.com/api",
    secret: false,
    parse: httpUrl,
  }),
  setting({
    name: "discordGatewayUrl",
    flag: "--discord-gateway-url",
    env: "POCKETPAW_DISCORD_GATEWAY_URL",
    configKey: "discord_gateway_url",
    default: "",
    description: "URL of Discord's gateway; empty to ask the REST API (GET /gateway/bot).",
    expected: "a ws:// or wss:// URL, or empty",
    secret: false,
    parse: gatewayUrl,
  }),
] as const;
