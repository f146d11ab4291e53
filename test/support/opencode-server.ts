// Starts and stops a REAL `opencode serve` for integration tests: isolated (its own temp HOME and
// XDG folders, so no state leaks between runs), offline (a fake model on loopback, no downloads),
// and never left running (process-group kill with SIGKILL fallback, plus an exit hook).

import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface StartOpenCodeOptions {
  /** The fake model's base URL, e.g. "http://127.0.0.1:PORT/v1". */
  modelBaseURL: string;
  /** Sets OPENCODE_SERVER_PASSWORD: every route then needs HTTP Basic auth. */
  password?: string;
  /** Sets OPENCODE_SERVER_USERNAME (the server's default is "opencode"). */
  username?: string;
  /** Path of the opencode binary; default: the one from the installed platform package. */
  binary?: string;
  /** Merged over the generated config: objects key by key (so a second provider can be added), anything else replaced. */
  extraConfig?: Record<string, unknown>;
}

export interface OpenCodeServer {
  /** e.g. "http://127.0.0.1:PORT" */
  url: string;
  port: number;
  pid: number;
  /** The server's working directory, i.e. its default project. */
  projectDir: string;
  /** Milliseconds from spawn to the "listening" line. */
  startupMs: number;
  /** Everything the server wrote to stdout and stderr so far. */
  logs(): string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temp folder. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const TERM_GRACE_MS = 3_000;
const LOG_LIMIT = 1_000_000;
const READY_LINE = /opencode server listening on (http:\/\/\S+)/;

/** Servers still running, with their temp folders: cleaned up by the hooks below if a test crashes before stop(). */
const running = new Map<ChildProcess, string>();
const killAll = () => {
  for (const [child, root] of running) {
    if (child.exitCode === null && child.signalCode === null) killGroup(child, "SIGKILL");
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: the process is exiting anyway.
    }
  }
};
process.on("exit", killAll);
// A signal ends the process without 'exit': kill the servers, then die of the same signal.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

/** The `opencode` binary of the platform package installed next to this repo's node_modules. */
export function defaultBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = `opencode-${process.platform}-${process.arch}`;
  return join(dirname(require.resolve(`${pkg}/package.json`)), "bin", "opencode");
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/** Rejects with "<what> timed out after <ms> ms" unless `p` settles first. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `over` merged into `base`: nested objects merge key by key, other values (arrays too) replace. */
function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function opencodeConfig(opts: StartOpenCodeOptions): Json {
  const limit = { context: 32_000, output: 4_096 };
  const base: Json = {
    model: "fake/fake-model",
    small_model: "fake/fake-model",
    provider: {
      fake: {
        npm: "@ai-sdk/openai-compatible",
        name: "Fake",
        options: { baseURL: opts.modelBaseURL, apiKey: "x" },
        models: {
          "fake-model": { name: "Fake", limit },
          "other-model": { name: "Other fake", limit },
        },
      },
    },
  };
  return deepMerge(base, opts.extraConfig ?? {});
}

/** The parent's environment minus anything that could steer the server or the product under test. */
function serverEnv(root: string, opts: StartOpenCodeOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("OPENCODE_") && !key.startsWith("POCKETPAW_")) env[key] = value;
  }
  Object.assign(env, {
    HOME: join(root, "home"),
    XDG_CONFIG_HOME: join(root, "config"),
    XDG_DATA_HOME: join(root, "data"),
    XDG_CACHE_HOME: join(root, "cache"),
    XDG_STATE_HOME: join(root, "state"),
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
    OPENCODE_DISABLE_SHARE: "1",
    OPENCODE_DISABLE_CLAUDE_CODE: "1",
    OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig(opts)),
  });
  if (opts.password !== undefined) env.OPENCODE_SERVER_PASSWORD = opts.password;
  if (opts.username !== undefined) env.OPENCODE_SERVER_USERNAME = opts.username;
  return env;
}

export async function startOpenCode(opts: StartOpenCodeOptions): Promise<OpenCodeServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(opts);
    } catch (err) {
      // freePort() can race another process for the port; the server then exits printing
      // "ServeError". Try again with a new port.
      const portClash = err instanceof Error && err.message.includes("ServeError");
      if (!portClash || attempt >= 3) throw err;
    }
  }
}

/** One attempt at starting a server in a fresh temp folder on a fresh port. */
async function launch(opts: StartOpenCodeOptions): Promise<OpenCodeServer> {
  const root = await mkdtemp(join(tmpdir(), "pocketpaw-opencode-"));
  const projectDir = join(root, "project");
  for (const dir of ["home", "config", "data", "cache", "state", "project"]) {
    await mkdir(join(root, dir), { recursive: true });
  }
  const port = await freePort();
  const startedAt = performance.now();
  // detached: the server gets its own process group, so stop() also reaches whatever it spawned
  // (bash tool commands, subprocesses) by signalling the group.
  const child = spawn(
    opts.binary ?? defaultBinary(),
    ["--pure", "serve", "--port", String(port), "--hostname", "127.0.0.1"],
    { cwd: projectDir, env: serverEnv(root, opts), detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  running.set(child, root);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    // A binary that can't be spawned has no pid and may never emit 'exit'.
    child.once("error", () => child.pid === undefined && resolve());
  });

  // Keep draining both pipes for the server's whole life: a full pipe would block it.
  let logs = "";
  const append = (chunk: Buffer) => {
    logs += chunk.toString("utf8");
    if (logs.length > LOG_LIMIT) logs = logs.slice(-LOG_LIMIT);
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        killGroup(child, "SIGTERM");
        // The server often ignores SIGTERM once an /event subscriber has gone (see
        // opencode-server.md): give it a moment, then force it.
        // (withTimeout clears its timer: a bare sleep() in a race would hold the event loop open.)
        await withTimeout(exited, TERM_GRACE_MS, "SIGTERM").catch(() => undefined);
      }
      // Also reaps anything left in the group after the leader exited.
      killGroup(child, "SIGKILL");
      await exited;
      await waitGroupGone(child);
      await rm(root, { recursive: true, force: true });
      running.delete(child);
    })();
    return stopping;
  };

  try {
    const url = await waitForReady(child, () => logs);
    return { url, port, pid: child.pid!, projectDir, startupMs: performance.now() - startedAt, logs: () => logs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resolves with the URL from the "listening" line; rejects if the server exits or is too slow. */
function waitForReady(child: ChildProcess, logs: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error, url?: string) => {
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
      if (err) reject(err);
      else resolve(url!);
    };
    const fail = (why: string) => done(new Error(`opencode serve ${why}\n--- server output ---\n${logs()}`));
    // Matched against all output so far, so a line split across chunks is still found.
    const onData = () => {
      const match = READY_LINE.exec(logs());
      if (match) done(undefined, match[1]!.replace(/\/$/, ""));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited during start-up (code ${code}, signal ${signal})`);
    const onError = (err: Error) => fail(`could not be spawned: ${err.message}`);
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    // Registered after the log collector, so logs() already holds the chunk being looked at.
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Waits (bounded) until no process is left in the server's process group. */
async function waitGroupGone(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(-child.pid, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
