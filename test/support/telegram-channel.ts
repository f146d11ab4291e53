import { type ChannelRig, channelRig } from "./channel-rig.js";
import { type BotMessage, FakeTelegram, type FakeUser } from "./fake-telegram.js";
import { eventually } from "./run.js";

export const OWNER: FakeUser = { id: 4242, first_name: "Owner", username: "owner" };
export const FRIEND: FakeUser = { id: 4343, first_name: "Friend" };
export const STRANGER: FakeUser = { id: 6666, first_name: "Stranger", username: "stranger" };
export const privateChat = (user: FakeUser) => ({ id: user.id, type: "private" as const });
/** Allowed people of their own, one per test, so that no test sees another's messages. */
export const person = (n: number): FakeUser => ({ id: 7000 + n, first_name: `Person${n}`, username: `person${n}` });
const PEOPLE = Array.from({ length: 30 }, (_, i) => person(i + 1).id);

export interface TelegramRig extends ChannelRig {
  telegram: FakeTelegram;
}

/** The Telegram channel through startChannels, against the fake Bot API, with a home folder of its own. */
export async function telegramRig(
  allowed = [OWNER.id, FRIEND.id, ...PEOPLE].join(","),
  intervalMs = { private: 1000, group: 3000 },
): Promise<TelegramRig> {
  const telegram = await FakeTelegram.start();
  const rig = channelRig({
    env: {
      POCKETPAW_TELEGRAM_BOT_TOKEN: telegram.token,
      POCKETPAW_TELEGRAM_ALLOWED_USERS: allowed,
      POCKETPAW_TELEGRAM_API_ROOT: telegram.apiRoot,
    },
    overrides: { telegram: { intervalMs, pollTimeoutSeconds: 5 } },
    closeFake: () => telegram.close(),
  });
  return Object.assign(rig, { telegram });
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
