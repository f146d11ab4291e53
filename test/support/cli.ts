import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `pocketpaw` CLI (from source, through tsx) as a separate process with only the
 * environment given (plus PATH and HOME), stdin a pipe, and a hard time limit.
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: {
    timeoutMs?: number;
    onStart?: (child: ChildProcess, output: () => CliResult) => void;
    /** A built CLI (dist/cli/main.js) to run with plain node instead of the source. */
    entry?: string;
  } = {},
): Promise<CliResult> {
  const command = options.entry ? [options.entry] : ["--import", "tsx", MAIN];
  const child = spawn(process.execPath, [...command, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: env.HOME ?? process.env.HOME ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const result: CliResult = { code: null, signal: null, stdout: "", stderr: "" };
  child.stdout?.on("data", (c) => {
    result.stdout += c;
  });
  child.stderr?.on("data", (c) => {
    result.stderr += c;
  });
  options.onStart?.(child, () => result);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `pocketpaw ${args.join(" ")} did not exit within ${options.timeoutMs ?? 60_000} ms\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      result.code = code;
      result.signal = signal;
      // Let the pipes drain.
      setImmediate(() => resolve(result));
    });
  });
}

/** An `onStart` for runCli: sends SIGINT (Ctrl-C) once stdout shows `text`. */
export function interruptWhenStdoutHas(text: string): (child: ChildProcess, output: () => CliResult) => void {
  return (child, output) => {
    const timer = setInterval(() => {
      if (output().stdout.includes(text)) {
        clearInterval(timer);
        child.kill("SIGINT");
      }
    }, 20);
    child.once("exit", () => clearInterval(timer));
  };
}
