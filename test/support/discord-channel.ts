import type { Backend, RunOptions } from "../../src/agent/backend.js";
import { type AgentEvent, doneEvent } from "../../src/agent/events.js";
import type { ChannelHandle } from "../../src/channels/index.js";
import { type ChannelRig, channelRig, type StartExtra } from "./channel-rig.js";
import { FakeDiscord, type FakeDiscordOptions, type FakeMessage, type FakeUser } from "./fake-discord.js";
import { snowflake } from "./fake-discord-wire.js";
import { eventually } from "./run.js";

export const OWNER: FakeUser = { id: snowflake(), username: "owner", global_name: "Owner" };
export const FRIEND: FakeUser = { id: snowflake(), username: "friend" };
export const STRANGER: FakeUser = { id: snowflake(), username: "stranger" };

/** As ChannelRig's, and `intervalMs`: the pace of the edits in each channel (default 1000). */
type DiscordStart = StartExtra & { intervalMs?: number };

export interface DiscordRig extends ChannelRig {
  discord: FakeDiscord;
  start(backend: Backend, extra?: DiscordStart): Promise<ChannelHandle[]>;
  session(backend: Backend, body: () => Promise<void>, extra?: DiscordStart): Promise<void>;
}

/** The Discord channel through startChannels, against the fake Discord, with a home folder of its own. */
export async function discordRig(fakeOptions: FakeDiscordOptions = {}, allowed = `${OWNER.id},${FRIEND.id}`): Promise<DiscordRig> {
  const discord = await FakeDiscord.start(fakeOptions);
  const overrides = (intervalMs = 1000) => ({ discord: { intervalMs, pressGraceMs: 1000 } });
  const rig = channelRig({
    env: {
      POCKETPAW_DISCORD_BOT_TOKEN: discord.token,
      POCKETPAW_DISCORD_ALLOWED_USERS: allowed,
      POCKETPAW_DISCORD_API_URL: discord.apiUrl,
    },
    overrides: overrides(),
    closeFake: () => discord.close(),
    startTimeoutMs: 10_000,
  });
  const startChannel = rig.start;
  return Object.assign(rig, {
    discord,
    start: (backend: Backend, extra: DiscordStart = {}) => startChannel(backend, { overrides: overrides(extra.intervalMs), ...extra }),
  });
}

/** The bot's messages in the channel once `check` holds for them. */
export function whenChannel(
  discord: FakeDiscord,
  channel: { id: string },
  check: (messages: FakeMessage[]) => boolean,
  what: string,
  ms = 10_000,
): Promise<FakeMessage[]> {
  return eventually(
    () => {
      const messages = discord.inChannel(channel as never);
      return check(messages) ? messages : undefined;
    },
    ms,
    what,
  );
}

/** What Discord shows of a message's Markdown, roughly: escapes resolved, zero-width spaces gone. */
export function shown(message: FakeMessage | undefined): string {
  return (message?.content ?? "").replace(/\\([^\p{L}\p{N}\s])/gu, "$1").replace(/\u200b/g, "");
}

/** The message's buttons, flat. */
export function buttonsOf(message: FakeMessage | undefined): Array<{ label: string; id: string }> {
  return (message?.components ?? []).flatMap((row) => row.components.map((b) => ({ label: b.label ?? "", id: b.custom_id ?? "" })));
}

export const text = (content: string): AgentEvent => ({ type: "message", content, metadata: { partId: "p", messageId: "m" } });
export const done = (wasStopped = false) => doneEvent({ stopped: wasStopped, failed: false });
export const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves when the run is stopped. */
export const stopped = (options: RunOptions) =>
  new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve(), { once: true }));
