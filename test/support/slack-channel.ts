import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../src/agent/backend.js";
import { type ChannelHandle, type StartChannelsOptions, startChannels } from "../../src/channels/index.js";
import type { SlackOptions } from "../../src/channels/slack/adapter.js";
import { loadSettings } from "../../src/config/settings.js";
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

export interface SlackRig {
  slack: FakeSlack;
  home: string;
  handles: ChannelHandle[];
  lines: string[];
  /** Starts (again) the channels on the same fake and home, as `pocketpaw serve` would. */
  start(backend: Backend, extra?: { env?: Record<string, string>; options?: StartChannelsOptions }): Promise<ChannelHandle[]>;
  /** Stops the channels (not the fake). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** The Slack channel through startChannels (real Bolt, real Socket Mode client) against the fake, with a home folder of its own. */
export async function slackRig(tuning: Partial<SlackOptions> = {}, allowed = `${OWNER.id},${FRIEND.id}`): Promise<SlackRig> {
  const slack = await FakeSlack.start();
  const home = mkdtempSync(join(tmpdir(), "pocketpaw-slack-"));
  const rig: SlackRig = {
    slack,
    home,
    handles: [],
    lines: [],
    async start(backend, extra = {}) {
      const env = {
        POCKETPAW_HOME: home,
        POCKETPAW_SLACK_BOT_TOKEN: slack.botToken,
        POCKETPAW_SLACK_APP_TOKEN: slack.appToken,
        POCKETPAW_SLACK_ALLOWED_USERS: allowed,
        POCKETPAW_SLACK_API_URL: slack.apiUrl,
        ...extra.env,
      };
      const settings = loadSettings({ env, cwd: home });
      rig.handles = startChannels(settings, backend, {
        log: (line) => rig.lines.push(line),
        // Fast retries: the 429 test's waits are Retry-After's, not the backoff's.
        overrides: { slack: { retry: { retries: 5, minTimeout: 10, maxTimeout: 100 }, reconnectMs: 100, ...tuning } },
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
      await slack.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return rig;
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
