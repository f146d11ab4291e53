import { join } from "node:path";
import type { Backend, Check } from "../agent/backend.js";
import { homeOf, type LoadedSettings } from "../config/settings.js";
import { AllowList } from "./core/allow.js";
import { Channel } from "./core/channel.js";
import { ChannelStore } from "./core/store.js";
import { describe } from "./core/text.js";
import { ChannelError, type ChannelState } from "./core/types.js";
import { CHANNELS, type ChannelOverrides } from "./registry.js";

export type { ChannelState } from "./core/types.js";
export { CHANNELS, type ChannelDefinition, type ChannelOverrides } from "./registry.js";

/** A channel `pocketpaw serve` runs (or would, and says why not). */
export interface ChannelHandle {
  readonly name: string;
  state(): ChannelState;
  /** Stops receiving and stops its turns on the server. */
  close(): Promise<void>;
}

export interface StartChannelsOptions {
  /** Where the channels tell the operator what they do (default: stderr). */
  log?(line: string): void;
  overrides?: ChannelOverrides;
  /** Wait before trying again to connect when the platform cannot be reached (default 30 s). */
  retryMs?: number;
}

/**
 * Starts every channel whose token is configured, on `backend`, in this process. Safe by
 * default: a channel without an allow list does not start (the log says why) and the others go
 * on. Connecting happens in the background (retried while the platform cannot be reached), so
 * a slow platform never holds up the dashboard; each handle's state() tells how it goes.
 */
export async function startChannels(
  settings: LoadedSettings,
  backend: Backend,
  options: StartChannelsOptions = {},
): Promise<ChannelHandle[]> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const handles: ChannelHandle[] = [];
  let store: ChannelStore | undefined;
  let open = 0;
  for (const def of CHANNELS) {
    if (!def.configured(settings.values)) continue;
    const say = (line: string) => log(`${def.displayName}: ${line}`);
    const off = (state: ChannelState["state"], detail: string): ChannelHandle => {
      say(`not started: ${detail}`);
      return { name: def.name, state: () => ({ name: def.name, state, detail }), close: async () => {} };
    };
    const allowed = new AllowList(def.allowed(settings.values));
    if (!def.adapter) {
      handles.push(off("off", `this build of pocketpaw has no ${def.displayName} channel yet.`));
      continue;
    }
    if (allowed.empty) {
      const why = `${def.allowEnv} is empty, and a bot anyone may talk to runs an agent on this machine. Set it to your user id (the bot tells anyone it refuses theirs), or to * for everyone.`;
      handles.push(off("off", why));
      continue;
    }
    try {
      store ??= new ChannelStore(join(homeOf(settings), "channels.db"));
    } catch (error) {
      handles.push(off("failed", describe(error)));
      continue;
    }
    let channel: Channel | undefined;
    const adapter = await def.adapter(settings.values, options.overrides ?? {}, (state, detail) => {
      channel?.setState(state, detail);
      say(detail);
    });
    channel = new Channel({ adapter, backend, store, allowed, allowSetting: def.allowEnv, log: say });
    open++;
    const ready = connect(channel, say, options.retryMs ?? 30_000);
    const sharedStore = store;
    handles.push({
      name: def.name,
      state: () => (channel as Channel).state(),
      async close() {
        ready.cancel();
        await (channel as Channel).close();
        await ready.done;
        if (--open === 0) sharedStore.close();
      },
    });
  }
  return handles;
}

/** Starts the channel, trying again while the platform cannot be reached; cancel() gives up. */
function connect(channel: Channel, say: (line: string) => void, retryMs: number): { done: Promise<void>; cancel(): void } {
  const giveUp = new AbortController();
  const done = (async () => {
    while (!giveUp.signal.aborted) {
      try {
        await channel.start();
        say(`running: ${channel.state().detail}`);
        return;
      } catch (error) {
        if (giveUp.signal.aborted) return;
        if (error instanceof ChannelError && error.permanent) return say(`not started: ${error.message}`);
        say(`${describe(error)} Trying again in ${Math.round(retryMs / 1000)} s.`);
        channel.setState("retrying", describe(error));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          const wake = () => {
            clearTimeout(timer);
            resolve();
          };
          giveUp.signal.addEventListener("abort", wake, { once: true });
        });
      }
    }
  })();
  return { done, cancel: () => giveUp.abort() };
}

/** `pocketpaw doctor`'s lines for the channels: each configured one's allow list and token. */
export async function checkChannels(settings: LoadedSettings): Promise<Check[]> {
  const checks: Check[] = [];
  for (const def of CHANNELS) {
    if (!def.configured(settings.values)) continue;
    if (!def.check) {
      checks.push({ name: def.name, status: "skip", detail: `skipped: this build of pocketpaw has no ${def.displayName} channel yet` });
      continue;
    }
    const allowed = new AllowList(def.allowed(settings.values));
    if (allowed.empty) {
      checks.push({
        name: def.name,
        status: "warn",
        detail: `${def.allowEnv} is empty: the channel will not start`,
        fix: `Set ${def.allowEnv} to your user id, or to * for everyone.`,
      });
      continue;
    }
    const check = await def.check(settings.values);
    if (check.status === "ok") check.detail += `, for ${allowed.describe()}`;
    checks.push(check);
  }
  return checks;
}
