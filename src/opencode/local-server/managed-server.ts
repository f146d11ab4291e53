// Starts and stops a REAL `opencode serve`: for the integration tests, `pocketpaw demo` and the
// managed mode (`--spawn`). Optionally isolated (its own temp HOME and XDG folders, so no state
// leaks in or out), and never left running: the binary is started itself (not the npm wrapper,
// which on old releases orphans the real server) in its own process group, stopped with SIGTERM
// then SIGKILL to the whole group, with exit hooks for when the parent dies first.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";

export interface ManagedServerOptions {
  /** Path of the opencode binary; default: the installed platform package's, else `opencode` on PATH. */
  binary?: string;
  /** Default: a free port. */
  port?: number;
  hostname?: string;
  /** The server's configuration (OPENCODE_CONFIG_CONTENT); default: the user's own. */
  config?: Record<string, unknown>;
  /**
   * A fresh temp HOME, XDG folders and project folder, removed at stop, and the offline
   * switches (no autoupdate, model catalogue fetch, LSP download, default plugins, sharing).
   * Otherwise the server runs with the user's own configuration and keys, in `cwd`.
   */
  isolated?: boolean;
  /**
   * With `isolated`: this folder instead of a fresh temp one, created if missing and kept at
   * stop, so a server started again on it finds the sessions of the one before.
   */
  root?: string;
  /** The server's working directory (its default project) when not isolated. */
  cwd?: string;
  /** Sets OPENCODE_SERVER_PASSWORD: every route then needs HTTP Basic auth. */
  password?: string;
  /** Sets OPENCODE_SERVER_USERNAME (the server's default is "opencode"). */
  username?: string;
}

export interface ManagedServer {
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

/** Servers still running, with their temp folders: cleaned up by the hooks below if the parent dies before stop(). */
const running = new Map<ChildProcess, string | undefined>();
const killAll = () => {
  for (const [child, root] of running) {
    if (child.exitCode === null && child.signalCode === null) killGroup(child, "SIGKILL");
    if (root) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
};

let hooked = false;
/** Installed with the first server, so that merely importing this module changes nothing. */
function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAll);
  // A signal nobody else handles ends the process without 'exit': kill the servers, then die of
  // the same signal. Where the program handles the signal itself (the CLI's Ctrl-C stops a turn
  // first), it also stops its servers itself.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      process.off(signal, onSignal);
      killAll();
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * The `opencode` binary: the platform package's (`opencode-linux-x64`, an optional dependency of
 * pocketpaw), else the first `opencode` on PATH, else undefined.
 */
export function findBinary(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkg = `opencode-${process.platform}-${process.arch}`;
    const bin = join(dirname(require.resolve(`${pkg}/package.json`)), "bin", "opencode");
    if (existsSync(bin)) return bin;
  } catch {
    // Not installed for this platform: look on PATH.
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const bin = join(dir, "opencode");
    if (dir && existsSync(bin)) return bin;
  }
  return undefined;
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

const OFFLINE_SWITCHES = {
  OPENCODE_DISABLE_AUTOUPDATE: "1",
  OPENCODE_DISABLE_MODELS_FETCH: "1",
  OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
  OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
  OPENCODE_DISABLE_SHARE: "1",
  OPENCODE_DISABLE_CLAUDE_CODE: "1",
};

/** The server's environment: the parent's minus anything that steers OpenCode or pocketpaw. */
export function serverEnv(root: string | undefined, opts: ManagedServerOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("POCKETPAW_") && !(root && key.startsWith("OPENCODE_"))) env[key] = value;
  }
  if (root) {
    Object.assign(env, {
      HOME: join(root, "home"),
      XDG_CONFIG_HOME: join(root, "config"),
      XDG_DATA_HOME: join(root, "data"),
      XDG_CACHE_HOME: join(root, "cache"),
      XDG_STATE_HOME: join(root, "state"),
      ...OFFLINE_SWITCHES,
    });
  }
  // No external plugins. The environment variable, not the `--pure` flag: releases before the
  // flag existed (1.2.6 has none) reject unknown flags and exit, and ignore unknown variables.
  env.OPENCODE_PURE = "1";
  if (opts.config) env.OPENCODE_CONFIG_CONTENT = JSON.stringify(opts.config);
  if (opts.password !== undefined) env.OPENCODE_SERVER_PASSWORD = opts.password;
  if (opts.username !== undefined) env.OPENCODE_SERVER_USERNAME = opts.username;
  return env;
}

export class NoBinaryError extends Error {
  constructor() {
    super(
      "No OpenCode server binary found: install it with `npm install -g opencode-ai` (or the optional dependency opencode-linux-x64), or start a server yourself with `opencode serve --port 4096`.",
    );
  }
}

export async function startManagedServer(opts: ManagedServerOptions = {}): Promise<ManagedServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(opts);
    } catch (err) {
      // freePort() can race another process for the port; the server then exits printing
      // "ServeError". Try again with a new port (unless the caller chose the port).
      const portClash = err instanceof Error && err.message.includes("ServeError");
      if (!portClash || opts.port !== undefined || attempt >= 3) throw err;
    }
  }
}

/** One attempt at starting a server on a fresh port (in a fresh temp folder when isolated). */
async function launch(opts: ManagedServerOptions): Promise<ManagedServer> {
  const binary = opts.binary ?? findBinary();
  if (!binary) throw new NoBinaryError();
  const root = opts.isolated ? (opts.root ?? (await mkdtemp(join(tmpdir(), "pocketpaw-opencode-")))) : undefined;
  /** A temp folder of our own, removed at stop (a root given by the caller is kept). */
  const ownRoot = opts.root ? undefined : root;
  if (root) {
    for (const dir of ["home", "config", "data", "cache", "state", "project"]) {
      await mkdir(join(root, dir), { recursive: true });
    }
  }
  const projectDir = root ? join(root, "project") : (opts.cwd ?? process.cwd());
  const port = opts.port ?? (await freePort());
  const hostname = opts.hostname ?? "127.0.0.1";
  const startedAt = performance.now();
  // detached: the server gets its own process group, so stop() also reaches whatever it spawned
  // (bash tool commands, subprocesses) by signalling the group.
  const child = spawn(binary, ["serve", "--port", String(port), "--hostname", hostname], {
    cwd: projectDir,
    env: serverEnv(root, opts),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  installExitHooks();
  running.set(child, ownRoot);
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
      if (ownRoot) await rm(ownRoot, { recursive: true, force: true });
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
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited during start-up (code ${code}, signal ${signal})`);
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
