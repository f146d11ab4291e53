import type { Check } from "../agent/backend.js";
import type { Settings } from "../config/settings.js";
import type { ChannelAdapter, ChannelState } from "./core/types.js";
import type { DiscordOptions } from "./discord/adapter.js";
import type { SlackOptions } from "./slack/adapter.js";
import type { TelegramOptions } from "./telegram/adapter.js";

/** Test hooks and tuning, per channel. */
export interface ChannelOverrides {
  telegram?: Partial<TelegramOptions>;
  slack?: Partial<SlackOptions>;
  discord?: Partial<DiscordOptions>;
}

/**
 * What pocketpaw knows of each chat platform: when it is configured, whose allow list guards it,
 * and how to build its adapter (absent: not in this build yet). The Slack and Discord adapters
 * plug in here, on the same core. Adapters and checks are imported when used: the platforms'
 * libraries (discord.js above all) would otherwise slow every `serve` and `doctor` without them.
 */
export interface ChannelDefinition {
  name: string;
  displayName: string;
  configured(values: Settings): boolean;
  allowed(values: Settings): string;
  /** The allow list's environment variable, named to people. */
  allowEnv: string;
  adapter?(
    values: Settings,
    overrides: ChannelOverrides,
    onState: (state: ChannelState["state"], detail: string) => void,
  ): Promise<ChannelAdapter>;
  /** `pocketpaw doctor`'s check of the token. */
  check?(values: Settings): Promise<Check>;
}

export const CHANNELS: ChannelDefinition[] = [
  {
    name: "telegram",
    displayName: "Telegram",
    configured: (v) => v.telegramBotToken !== "",
    allowed: (v) => v.telegramAllowedUsers,
    allowEnv: "POCKETPAW_TELEGRAM_ALLOWED_USERS",
    adapter: async (v, overrides, onState) => {
      const { TelegramAdapter } = await import("./telegram/adapter.js");
      return new TelegramAdapter({ token: v.telegramBotToken, apiRoot: v.telegramApiRoot, onState, ...overrides.telegram });
    },
    check: async (v) => (await import("./telegram/check.js")).checkTelegram(v.telegramBotToken, v.telegramApiRoot),
  },
  {
    name: "slack",
    displayName: "Slack",
    configured: (v) => v.slackBotToken !== "" || v.slackAppToken !== "",
    allowed: (v) => v.slackAllowedUsers,
    allowEnv: "POCKETPAW_SLACK_ALLOWED_USERS",
    // Either token set counts as configured, so that a missing other one is reported rather than ignored.
    adapter: async (v, overrides, onState) => {
      const { SlackAdapter } = await import("./slack/adapter.js");
      return new SlackAdapter({ botToken: v.slackBotToken, appToken: v.slackAppToken, apiUrl: v.slackApiUrl, onState, ...overrides.slack });
    },
    check: async (v) => (await import("./slack/check.js")).checkSlack(v.slackBotToken, v.slackAppToken, v.slackApiUrl),
  },
  {
    name: "discord",
    displayName: "Discord",
    configured: (v) => v.discordBotToken !== "",
    allowed: (v) => v.discordAllowedUsers,
    allowEnv: "POCKETPAW_DISCORD_ALLOWED_USERS",
    adapter: async (v, overrides, onState) => {
      const { DiscordAdapter } = await import("./discord/adapter.js");
      const { discordBotToken: token, discordApiUrl: apiUrl, discordGatewayUrl: gatewayUrl } = v;
      return new DiscordAdapter({ token, apiUrl, gatewayUrl, onState, ...overrides.discord });
    },
    check: async (v) => (await import("./discord/check.js")).checkDiscord(v.discordBotToken, v.discordApiUrl),
  },
];
