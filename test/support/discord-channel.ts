import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend, RunOptions } from "../../src/agent/backend.js";
import { type AgentEvent, doneEvent } from "../../src/agent/events.js";
import { type ChannelHandle, type StartChannelsOptions, startChannels } from "../../src/channels/index.js";
import { loadSettings } from "../../src/config/settings.js";
import { FakeDiscord, type FakeDiscordOptions, type FakeMessage, type FakeUser } from "./fake-discord.js";
import { snowflake } from "./fake-discord-wire.js";
import { eventually } from "./run.js";

export const OWNER: FakeUser = { id: snowflake(), username: "owner", global_name: "Owner" };
export const FRIEND: FakeUser = { id: snowflake(), username: "friend" };
export const STRANGER: FakeUser = { id: snowflake(), username: "stranger" };

export interface DiscordRig {
  discord: FakeDiscord;
  home: string;
  handles: ChannelHandle[];
  lines: string[];
  /** Starts (again) the channels on the same fake and home, as `pocketpaw serve` would. */
  start(
    backend: Backend,
    extra?: { env?: Record<string, string>; options?: StartChannelsOptions; intervalMs?: number },
  ): Promise<ChannelHandle[]>;
  /** Stops the channels (not the fake). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** The Discord channel through startChannels, against the fake Discord, with a home folder of its own. */
export async function discordRig(fakeOptions: FakeDiscordOptions = {}, allowed = `${OWNER.id},${FRIEND.id}`): Promise<DiscordRig> {
  const discord = await FakeDiscord.start(fakeOptions);
  const home = mkdtempSync(join(tmpdir(), "pocketpaw-discord-"));
  const rig: DiscordRig = {
    discord,
    home,
    handles: [],
    lines: [],
    async start(backend, extra = {}) {
      const env = {
        POCKETPAW_HOME: home,
        POCKETPAW_DISCORD_BOT_TOKEN: discord.token,
        POCKETPAW_DISCORD_ALLOWED_USERS: allowed,
        POCKETPAW_DISCORD_API_URL: discord.apiUrl,
        ...extra.env,
      };
      const settings = loadSettings({ env, cwd: home });
      rig.handles = await startChannels(settings, backend, {
        log: (line) => rig.lines.push(line),
        overrides: { discord: { intervalMs: extra.intervalMs ?? 1000, pressGraceMs: 1000 } },
        retryMs: 200,
        ...extra.options,
      });
      await eventually(() => rig.handles.every((h) => h.state().state !== "starting"), 10_000, "the channels to start");
      return rig.handles;
    },
    async stop() {
      await Promise.all(rig.handles.map((h) => h.close()));
      rig.handles = [];
    },
    async close() {
      await rig.stop();
      await discord.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return rig;
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
