import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../src/agent/backend.js";
import { type ChannelHandle, type ChannelOverrides, type StartChannelsOptions, startChannels } from "../../src/channels/index.js";
import { loadSettings } from "../../src/config/settings.js";
import { eventually } from "./run.js";

/** The chat channels of `pocketpaw serve`, started against a platform's fake with a home folder of their own. */
export interface ChannelRig {
  home: string;
  handles: ChannelHandle[];
  lines: string[];
  /** Starts (again) the channels on the same fake and home, as `pocketpaw serve` would. */
  start(backend: Backend, extra?: { env?: Record<string, string>; options?: StartChannelsOptions }): Promise<ChannelHandle[]>;
  /** Stops the channels (not the fake). */
  stop(): Promise<void>;
  /** Stops the channels, then the fake, and removes the home folder. */
  close(): Promise<void>;
}

export interface ChannelRigOptions {
  /** The settings that point the channel at its fake (tokens, URLs, allow list). */
  env: Record<string, string>;
  overrides: ChannelOverrides;
  closeFake(): Promise<void>;
}

export function channelRig(o: ChannelRigOptions): ChannelRig {
  const home = mkdtempSync(join(tmpdir(), "pocketpaw-channel-"));
  const rig: ChannelRig = {
    home,
    handles: [],
    lines: [],
    async start(backend, extra = {}) {
      const settings = loadSettings({ env: { POCKETPAW_HOME: home, ...o.env, ...extra.env }, cwd: home });
      rig.handles = await startChannels(settings, backend, {
        log: (line) => rig.lines.push(line),
        overrides: o.overrides,
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
      await o.closeFake();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return rig;
}
