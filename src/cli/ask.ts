import { DEFAULT_SESSION_KEY } from "../agent/backend.js";
import { PERMISSION_REPLIES, type PermissionReply } from "../agent/events.js";
import type { PermissionAnswer } from "../agent/run-driver.js";
import { type CommonFlags, CliError, backendFrom, settingsFrom } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { colorWanted } from "./colors.js";
import { createRenderer } from "./render.js";
import { spawnIfWanted } from "./spawn.js";
import { exitCodeOf, runTurn } from "./turn.js";

export interface AskFlags extends CommonFlags {
  session?: string;
  json?: boolean;
  approve?: string;
}

/** `--approve` as a standing answer to permission requests, checked. */
export function approveFlag(approve: string | undefined): PermissionAnswer | undefined {
  if (approve === undefined) return undefined;
  if (!(PERMISSION_REPLIES as readonly string[]).includes(approve)) {
    throw new CliError(`--approve ${approve} is not valid: expected ${PERMISSION_REPLIES.join(", ")}.`, EXIT.usage);
  }
  return { reply: approve as PermissionReply, how: "--approve" };
}

/** `pocketpaw ask`: one turn, streamed; the exit code says how it ended. */
export async function ask(message: string, flags: AskFlags): Promise<number> {
  const answer = approveFlag(flags.approve);
  if (!message.trim()) throw new CliError("Nothing to ask: give a message, e.g. pocketpaw ask \"what does this repo do?\"", EXIT.usage);
  const settings = settingsFrom(flags);
  const spawned = await spawnIfWanted(settings, process.stderr);
  try {
    const renderer = flags.json
      ? undefined
      : await createRenderer(process.stdout, process.stderr, {
          color: colorWanted(),
          ...(process.stderr.isTTY ? { spinnerStream: process.stderr } : {}),
        });
    const backend = backendFrom(settings);
    try {
      const result = await runTurn({
        backend,
        message,
        run: { sessionKey: flags.session ?? DEFAULT_SESSION_KEY },
        out: process.stdout,
        err: process.stderr,
        renderer,
        ...(answer ? { answer } : {}),
        ...(process.stdin.isTTY ? { terminal: process.stdin } : {}),
      });
      return exitCodeOf(result, exitCodeFor);
    } finally {
      await backend.close();
    }
  } finally {
    await spawned?.stop();
  }
}
