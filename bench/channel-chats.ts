// Part of the chat channels' benchmark: one chat on each platform, the real channel adapter
// (grammY, Bolt, discord.js) started by startChannels on the loopback fake of the platform the
// tests use, with the backend built as the app builds it, on a real OpenCode server. Each chat
// says what its code paces and what the platform documents, and lists the writes (messages sent
// or edited) the fake received in it, timed with Date.now() in this process, as the fakes time
// every call.

import type { Backend } from "../src/agent/backend.js";
import { openBackend } from "../src/app/backend.js";
import { loadSettings } from "../src/config/settings.js";
import { MemorySessionStore } from "../src/sessions/store.js";
import type { ChannelRig } from "../test/support/channel-rig.js";
import * as discordSupport from "../test/support/discord-channel.js";
import * as slackSupport from "../test/support/slack-channel.js";
import * as telegramSupport from "../test/support/telegram-channel.js";

/** A message sent or edited in the chat, as the fake received it. */
export interface ChatWrite {
  at: number;
  text: string;
  edit: boolean;
}

export interface BenchChat {
  platform: string;
  /** Least time between two writes in one chat, as the adapter configures it. */
  intervalMs: number;
  /** What the code configures, in words. */
  pace: string;
  /** The platform's documented limit for one chat; `editsPerMinute`: edits have a budget of their own (Slack's chat.update, per app). */
  limit: { perSecond: number; text: string; editsPerMinute?: number };
  /** A person writes in the chat. */
  say(text: string): void;
  /** The writes to the chat that the fake accepted, received at or after `since`, in order. */
  writes(since: number): ChatWrite[];
  /** Calls the fake refused with 429 (too fast). */
  refusals(): number;
  /** Whether the backend has no run going. */
  idle(): boolean;
  close(): Promise<void>;
}

/** The backend as `pocketpaw serve` builds it (conversations in memory), on the server at `url`. */
function backendFor(home: string, url: string): Backend {
  const settings = loadSettings({ env: { POCKETPAW_HOME: home, POCKETPAW_OPENCODE_BASE_URL: url }, cwd: home });
  return openBackend(settings, { store: new MemorySessionStore(), timeoutMs: 30_000 });
}

/** Starts the rig's channels on a backend of their own; the chat's close stops both. */
async function started(
  rig: Pick<ChannelRig, "home" | "close"> & { start(backend: Backend): Promise<unknown> },
  url: string,
  chat: Omit<BenchChat, "idle" | "close">,
): Promise<BenchChat> {
  const backend = backendFor(rig.home, url);
  try {
    await rig.start(backend);
  } catch (error) {
    await rig.close();
    await backend.close();
    throw error;
  }
  return {
    ...chat,
    idle: () => backend.status().activeRuns.length === 0,
    async close() {
      await rig.close();
      await backend.close();
    },
  };
}

export async function telegramChat(serverUrl: string): Promise<BenchChat> {
  const { OWNER, privateChat, telegramRig } = telegramSupport;
  const intervals = { private: 1000, group: 3000 };
  const rig = await telegramRig(String(OWNER.id), intervals);
  return started(rig, serverUrl, {
    platform: "Telegram (private chat)",
    intervalMs: intervals.private,
    pace: `${intervals.private} ms per private chat, ${intervals.group} ms per group; bot-wide 30/s (throttler)`,
    limit: { perSecond: 1, text: "about 1 message/s per chat, 20/min in a group" },
    say: (text) => void rig.telegram.say(privateChat(OWNER), OWNER, text),
    writes: (since) =>
      rig.telegram.calls
        .filter((c) => c.at >= since && c.status === 200 && Number(c.params.chat_id) === OWNER.id)
        .filter((c) => c.method === "sendMessage" || c.method === "editMessageText")
        .map((c) => ({ at: c.at, text: String(c.params.text ?? ""), edit: c.method === "editMessageText" })),
    refusals: () => rig.telegram.calls.filter((c) => c.status === 429).length,
  });
}

export async function slackChat(serverUrl: string): Promise<BenchChat> {
  const { OWNER, newDm, slackRig } = slackSupport;
  // The adapter's defaults: 1 s per chat, chat.update at 45 a minute for the whole app.
  const rig = await slackRig();
  const dm = newDm();
  return started(rig, serverUrl, {
    platform: "Slack (DM)",
    intervalMs: 1000,
    pace: "1000 ms per chat; chat.update 45/min for the whole app (1333 ms)",
    limit: { perSecond: 1, text: "chat.postMessage ~1/s per channel; chat.update Tier 3 ~50/min", editsPerMinute: 50 },
    say: (text) => void rig.slack.say(OWNER, dm, text),
    writes: (since) =>
      rig.slack.calls
        .filter((c) => c.at >= since && c.status === 200 && !c.error && c.args.channel === dm)
        .filter((c) => c.method === "chat.postMessage" || c.method === "chat.update")
        .map((c) => ({ at: c.at, text: String(c.args.text ?? ""), edit: c.method === "chat.update" })),
    refusals: () => rig.slack.calls.filter((c) => c.status === 429).length,
  });
}

export async function discordChat(serverUrl: string): Promise<BenchChat> {
  const { OWNER, discordRig } = discordSupport;
  // Discord's own limits in the fake: 5 messages per 5 s per channel, refused past that.
  const rig = await discordRig();
  const dm = rig.discord.dmChannel(OWNER);
  const messages = `/channels/${dm.id}/messages`;
  return started(rig, serverUrl, {
    platform: "Discord (DM)",
    intervalMs: 1000,
    pace: "1000 ms per channel; discord.js queues by the rate-limit headers",
    limit: { perSecond: 1, text: "5 per 5 s per channel" },
    say: (text) => void rig.discord.say(dm, OWNER, text),
    writes: (since) =>
      rig.discord.calls
        .filter((c) => c.at >= since && c.status === 200)
        .filter((c) => (c.method === "POST" && c.path === messages) || (c.method === "PATCH" && c.path.startsWith(`${messages}/`)))
        .map((c) => ({ at: c.at, text: String(c.json?.content ?? ""), edit: c.method === "PATCH" })),
    refusals: () => rig.discord.calls.filter((c) => c.status === 429).length,
  });
}
