import type { Attachment, Backend } from "../agent/backend.js";
import { DEFAULT_SESSION_KEY } from "../agent/backend.js";
import { PERMISSION_REPLIES, type PermissionReply } from "../agent/events.js";
import type { PermissionAnswer } from "../agent/run-driver.js";
import { AttachmentError, readAttachment } from "./attachments.js";
import { colorWanted } from "./colors.js";
import { CliError, type CommonFlags, settingsFrom } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { backendFrom } from "./open-backend.js";
import { createRenderer } from "./render.js";
import { checkAgent, checkCommand } from "./server-names.js";
import { spawnIfWanted } from "./spawn.js";
import { exitCodeOf, runTurn } from "./turn.js";

export interface AskFlags extends CommonFlags {
  session?: string;
  json?: boolean;
  approve?: string;
  agent?: string;
  /** --file, once per file. */
  file?: string[];
  command?: string;
}

/** `--approve` as a standing answer to permission requests, checked. */
export function approveFlag(approve: string | undefined): PermissionAnswer | undefined {
  if (approve === undefined) return undefined;
  if (!(PERMISSION_REPLIES as readonly string[]).includes(approve)) {
    throw new CliError(`--approve ${approve} is not valid: expected ${PERMISSION_REPLIES.join(", ")}.`, EXIT.usage);
  }
  return { reply: approve as PermissionReply, how: "--approve" };
}

/** The files of `--file`, read before anything is sent; a file that cannot be attached is bad usage. */
export function attachmentsOf(paths: string[] = []): Attachment[] {
  try {
    return paths.map(readAttachment);
  } catch (error) {
    if (error instanceof AttachmentError) throw new CliError(`--file ${error.message}`, EXIT.usage);
    throw error;
  }
}

/** `pocketpaw ask`: one turn, streamed; the exit code says how it ended. */
export async function ask(message: string, flags: AskFlags): Promise<number> {
  const answer = approveFlag(flags.approve);
  if (!message.trim() && !flags.command) {
    throw new CliError('Nothing to ask: give a message, e.g. pocketpaw ask "what does this repo do?"', EXIT.usage);
  }
  const files = attachmentsOf(flags.file);
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
      await refuseUnknown(backend, flags);
      const result = await runTurn({
        backend,
        message,
        run: {
          sessionKey: flags.session ?? DEFAULT_SESSION_KEY,
          ...(flags.agent ? { agent: flags.agent } : {}),
          ...(flags.command ? { command: flags.command } : {}),
          ...(files.length ? { files } : {}),
        },
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

/** An agent or command the server does not have stops here, naming those it has (the backend would refuse it too). */
async function refuseUnknown(backend: Backend, flags: AskFlags): Promise<void> {
  const problem =
    (flags.agent && (await checkAgent(backend, flags.agent))) || (flags.command && (await checkCommand(backend, flags.command)));
  if (problem) throw new CliError(problem, EXIT.usage);
}
