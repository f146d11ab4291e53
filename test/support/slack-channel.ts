import type { SlackOptions } from "../../src/channels/slack/adapter.js";
import { type ChannelRig, channelRig } from "./channel-rig.js";
import { type BotMessage, FakeSlack, type FakeUser } from "./fake-slack.js";
import { eventually } from "./run.js";

export const OWNER: FakeUser = { id: "U0OWNER", name: "Owner" };
export const FRIEND: FakeUser = { id: "U0FRIEND", name: "Friend" };
export const STRANGER: FakeUser = { id: "U0STRANGER", name: "Stranger" };
/** A public channel the bot is in. */
export const GENERAL = "C0GENERAL";

let dms = 0;
/** A direct-message channel of its own (each test its own, so that messages of earlier tests are not in the way). */
export function newDm(): string {
  return `D0DM${++dms}`;
}

export interface SlackRig extends ChannelRig {
  slack: FakeSlack;
}

/** The Slack channel through startChannels (real Bolt, real Socket Mode client) against the fake. */
export async function slackRig(tuning: Partial<SlackOptions> = {}, allowed = `${OWNER.id},${FRIEND.id}`): Promise<SlackRig> {
  const slack = await FakeSlack.start();
  const rig = channelRig({
    env: {
      POCKETPAW_SLACK_BOT_TOKEN: slack.botToken,
      POCKETPAW_SLACK_APP_TOKEN: slack.appToken,
      POCKETPAW_SLACK_ALLOWED_USERS: allowed,
      POCKETPAW_SLACK_API_URL: slack.apiUrl,
    },
    // Fast retries: the 429 test's waits are Retry-After's, not the backoff's.
    overrides: { slack: { retry: { retries: 5, minTimeout: 10, maxTimeout: 100 }, reconnectMs: 100, ...tuning } },
    closeFake: () => slack.close(),
  });
  return Object.assign(rig, { slack });
}

/** The bot's live messages in the channel (and thread) once `check` holds for them. */
export function whenChat(
  slack: FakeSlack,
  channel: string,
  check: (messages: BotMessage[]) => boolean,
  what: string,
  ms = 10_000,
  thread?: string,
): Promise<BotMessage[]> {
  return eventually(
    () => {
      const messages = slack.inChat(channel, thread);
      return check(messages) ? messages : undefined;
    },
    ms,
    what,
  );
}

/** What Slack shows of a message's mrkdwn: the three entities decoded, formatting marks kept. */
export function shown(message: BotMessage | undefined): string {
  return (message?.text ?? "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The message's buttons, as label → value. */
export function buttonsOf(message: BotMessage | undefined): Array<{ label: string; value: string }> {
  return (message?.blocks ?? []).flatMap((b) => b.elements ?? []).map((e) => ({ label: e.text.text, value: e.value }));
}
