import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../src/agent/backend.js";
import { type ChannelHandle, type StartChannelsOptions, startChannels } from "../../src/channels/index.js";
import { loadSettings } from "../../src/config/settings.js";
import { type BotMessage, FakeTelegram, type FakeUser } from "./fake-telegram.js";
import { eventually } from "./run.js";

export const OWNER: FakeUser = { id: 4242, first_name: "Owner", username: "owner" };
export const FRIEND: FakeUser = { id: 4343, first_name: "Friend" };
export const STRANGER: FakeUser = { id: 6666, first_name: "Stranger", username: "stranger" };
export const privateChat = (user: FakeUser) => ({ id: user.id, type: "private" as const });
/** Allowed people of their own, one per test, so that no test sees another's messages. */
export const person = (n: number): FakeUser => ({ id: 7000 + n, first_name: `Person${n}`, username: `person${n}` });
const PEOPLE = Array.from({ length: 30 }, (_, i) => person(i + 1).id);

export interface TelegramRig {
  telegram: FakeTelegram;
  home: string;
  handles: ChannelHandle[];
  lines: string[];
  /** Starts (again) the channels on the same fake and home, as `pocketpaw serve` would. */
  start(backend: Backend, extra?: { env?: Record<string, string>; options?: StartChannelsOptions }): Promise<ChannelHandle[]>;
  /** Stops the channels (not the fake). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** The Telegram channel through startChannels, against the fake Bot API, with a home folder of its own. */
export async function telegramRig(
  allowed = [OWNER.id, FRIEND.id, ...PEOPLE].join(","),
  intervalMs = { private: 1000, group: 3000 },
): Promise<TelegramRig> {
  const telegram = await FakeTelegram.start();
  const home = mkdtempSync(join(tmpdir(), "pocketpaw-tg-"));
  const rig: TelegramRig = {
    telegram,
    home,
    handles: [],
    lines: [],
    async start(backend, extra = {}) {
      const env = {
        POCKETPAW_HOME: home,
        POCKETPAW_TELEGRAM_BOT_TOKEN: telegram.token,
        POCKETPAW_TELEGRAM_ALLOWED_USERS: allowed,
        POCKETPAW_TELEGRAM_API_ROOT: telegram.apiRoot,
        ...extra.env,
      };
      const settings = loadSettings({ env, cwd: home });
      rig.handles = startChannels(settings, backend, {
        log: (line) => rig.lines.push(line),
        overrides: { telegram: { intervalMs, pollTimeoutSeconds: 5 } },
        retryMs: 200,
        ...extra.options,
      });
      await eventually(() => rig.handles.every((h) => h.state().state !== "starting"), 5000, "the channels to start");
      return rig.handles;
    },
    async stop() {
      await Promise.all(rig.handles.map((h) => h.close()));
      rig.handles = [];
    },
    async close() {
      await rig.stop();
      await telegram.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return rig;
}

/** The bot's messages in the chat once `check` holds for them. */
export function whenChat(
  telegram: FakeTelegram,
  chatId: number,
  check: (messages: BotMessage[]) => boolean,
  what: string,
  ms = 10_000,
): Promise<BotMessage[]> {
  return eventually(
    () => {
      const messages = telegram.inChat(chatId);
      return check(messages) ? messages : undefined;
    },
    ms,
    what,
  );
}

/** The visible text of a bot message (tags removed, entities decoded). */
export function visible(message: BotMessage | undefined): string {
  return (message?.text ?? "")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}
