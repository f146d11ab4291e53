import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { OpenCodeBackend, type OpenCodeBackendOptions } from "../../src/opencode/backend/backend.js";
import { type ScriptedModel, startScriptedModel } from "../../src/opencode/local-server/scripted-model.js";
import { MemorySessionStore } from "../../src/sessions/store.js";
import { type OpenCodeServer, type StartOpenCodeOptions, startOpenCode } from "./opencode-server.js";

export interface RealServer {
  model: ScriptedModel;
  server: OpenCodeServer;
  /** A pocketpaw home folder of the file's own. */
  home: string;
  /** The environment a pocketpaw process needs to use this server and home. */
  env: Record<string, string>;
  /** A backend on this server (conversations in memory), closed after the file. */
  backend(options?: Partial<OpenCodeBackendOptions>): OpenCodeBackend;
}

/**
 * The usual fixture of an integration test file: a scripted model and a real, isolated OpenCode
 * server wired to it, started before the file's tests and stopped after them, with backends and
 * a temp pocketpaw home that are cleaned up too. Read the fields inside tests or hooks.
 */
export function useRealServer(options: Omit<StartOpenCodeOptions, "modelBaseURL"> = {}, extraEnv: Record<string, string> = {}): RealServer {
  const backends: OpenCodeBackend[] = [];
  const real = {
    backend(overrides: Partial<OpenCodeBackendOptions> = {}) {
      const b = new OpenCodeBackend({ baseUrl: real.server.url, timeoutMs: 10_000, store: new MemorySessionStore(), ...overrides });
      backends.push(b);
      return b;
    },
  } as RealServer;
  before(async () => {
    real.model = await startScriptedModel();
    real.server = await startOpenCode({ modelBaseURL: real.model.baseURL, ...options });
    console.log(`# opencode serve${options.binary ? ` (${options.binary})` : ""} started in ${Math.round(real.server.startupMs)} ms`);
    real.home = mkdtempSync(join(tmpdir(), "pocketpaw-home-"));
    real.env = { POCKETPAW_HOME: real.home, POCKETPAW_OPENCODE_BASE_URL: real.server.url, ...extraEnv };
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await real.server?.stop();
    await real.model?.close();
    if (real.home) rmSync(real.home, { recursive: true, force: true });
  });
  return real;
}
