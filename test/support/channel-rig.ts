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
  start(backend: Backend, extra?: StartExtra): Promise<ChannelHandle[]>;
  /** Stops the channels (not the fake). */
  stop(): Promise<void>;
  /** Runs `body` with the channels started on `backend`, and stops them after it, however it ends. */
  session(backend: Backend, body: () => Promise<void>, extra?: StartExtra): Promise<void>;
  /** Stops the channels, then the fake, and removes the home folder. */
  close(): Promise<void>;
}

export interface StartExtra {
  env?: Record<string, string>;
  options?: StartChannelsOptions;
  /** In place of the rig's own overrides, for this start. */
  overrides?: ChannelOverrides;
}

export interface ChannelRigOptions {
  /** The settings that point the channel at its fake (tokens, URLs, allow list). */
  env: Record<string, string>;
  overrides: ChannelOverrides;
  closeFake(): Promise<void>;
  /** How long the channels may take to start (default 5 s). */
  startTimeoutMs?: number;
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
        overrides: extra.overrides ?? o.overrides,
        retryMs: 200,
        ...extra.options,
      });
      await eventually(() => rig.handles.every((h) => h.state().state !== "starting"), o.startTimeoutMs ?? 5000, "the channels to start");
      return rig.handles;
    },
    async stop() {
      await Promise.all(rig.handles.map((h) => h.close()));
      rig.handles = [];
    },
    async session(backend, body, extra) {
      await rig.start(backend, extra);
      try {
        await body();
      } finally {
        await rig.stop();
      }
    },
    async close() {
      await rig.stop();
      await o.closeFake();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return rig;
}
