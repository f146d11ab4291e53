import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { REPO } from "./cli.js";

/**
 * The real `pocketpaw` CLI on a pseudo-terminal, for what only happens on a terminal (line
 * editing, the permission question, Ctrl-C as a key, spinners). There is no node-pty here:
 * util-linux's `script` (part of every Debian, package bsdutils) runs the command on a new pty and
 * copies our pipe to it, so what the test writes arrives as typed keys (including Ctrl-C, "\x03")
 * and everything the CLI draws comes back, escape codes and all.
 */
export interface PtySession {
  child: ChildProcess;
  /** Everything written to the terminal so far, as is. */
  raw(): string;
  /** The same without escape codes and carriage returns. */
  text(): string;
  /** Types `keys` (use "\r" for Enter, "\x03" for Ctrl-C, "\x04" for Ctrl-D). */
  type(keys: string): void;
  /** Resolves when the screen text (from `from` on) matches; rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number, from?: number): Promise<RegExpMatchArray>;
  /** The exit code (bounded wait). */
  exited(ms?: number): Promise<number | null>;
  kill(): void;
}

/** Whether util-linux's `script` is there to make pseudo-terminals with. */
export function hasScript(): boolean {
  return spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
}

/** Strips ANSI escape sequences (CSI, OSC) and carriage returns. */
export function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what is removed
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007|\u001b[()][0-9A-B]|\r/g, "");
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function runCliOnPty(args: string[], env: Record<string, string>, options: { columns?: number } = {}): PtySession {
  const command = `stty cols ${options.columns ?? 100} rows 40; exec ${[process.execPath, "--import", "tsx", "src/cli/main.ts", ...args].map(quote).join(" ")}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: env.HOME ?? process.env.HOME ?? "", TERM: "xterm-256color", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let raw = "";
  child.stdout!.on("data", (c) => (raw += c));
  child.stderr!.on("data", (c) => (raw += c));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    raw: () => raw,
    text: () => plain(raw),
    type: (keys) => void child.stdin!.write(keys),
    async waitFor(pattern, ms = 30_000, from = 0) {
      const until = Date.now() + ms;
      for (;;) {
        const match = plain(raw).slice(from).match(pattern);
        if (match) return match;
        if (Date.now() > until) throw new Error(`timed out waiting for ${pattern} on the terminal; it shows:\n${plain(raw)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async exited(ms = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the CLI on the terminal did not exit within ${ms} ms; it shows:\n${plain(raw)}`)), ms);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
