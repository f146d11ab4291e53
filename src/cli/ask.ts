import { createInterface } from "node:readline/promises";
import { DEFAULT_SESSION_KEY } from "../agent/backend.js";
import type { AgentEvent, ErrorCode, PermissionReply } from "../agent/events.js";
import { type CommonFlags, CliError, backendFrom, settingsFrom } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { TerminalRenderer } from "./render.js";

export interface AskFlags extends CommonFlags {
  session?: string;
  json?: boolean;
  approve?: string;
}

const REPLIES: readonly PermissionReply[] = ["once", "always", "reject"];

/** `pocketpaw ask`: one turn, streamed; the exit code says how it ended. */
export async function ask(message: string, flags: AskFlags): Promise<number> {
  if (flags.approve !== undefined && !REPLIES.includes(flags.approve as PermissionReply)) {
    throw new CliError(`--approve ${flags.approve} is not valid: expected once, always or reject.`, EXIT.usage);
  }
  if (!message.trim()) throw new CliError("Nothing to ask: give a message, e.g. pocketpaw ask \"what does this repo do?\"", EXIT.usage);
  const settings = settingsFrom(flags);
  const backend = backendFrom(settings);
  const renderer = new TerminalRenderer(process.stdout, process.stderr, !flags.json && colorWanted());
  const emit = flags.json ? (e: AgentEvent) => process.stdout.write(`${JSON.stringify(e)}\n`) : (e: AgentEvent) => renderer.render(e);
  const key = flags.session ?? DEFAULT_SESSION_KEY;

  // First Ctrl-C stops the run on the server (and the turn ends cleanly); a second one quits.
  const stopper = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write("\nStopping… (Ctrl-C again to quit at once)\n");
      stopper.abort();
    } else process.exit(EXIT.interrupted);
  };
  process.on("SIGINT", onSigint);

  let failure: ErrorCode | undefined;
  let stopped = false;
  try {
    for await (const event of backend.run(message, { sessionKey: key, signal: stopper.signal })) {
      emit(event);
      if (event.type === "error" && !event.metadata.subagent) failure ??= event.metadata.code;
      if (event.type === "done") stopped = event.metadata.stopped;
      if (event.type === "permission_request") {
        const [reply, how] = await decide(flags.approve as PermissionReply | undefined, event.content);
        if (!flags.json) renderer.permissionAnswer(reply, how);
        else process.stdout.write(`${JSON.stringify({ type: "permission_reply", content: reply, metadata: { id: event.metadata.id, how } })}\n`);
        await backend.replyPermission(event.metadata.id, reply).catch((error: Error) => {
          process.stderr.write(`Could not answer the permission request: ${error.message}\n`);
        });
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
    await backend.close();
  }
  if (failure) return exitCodeFor(failure);
  return stopped ? EXIT.interrupted : EXIT.ok;
}

/** The answer to a permission request: the --approve flag, the person at the terminal, or reject. */
async function decide(approve: PermissionReply | undefined, question: string): Promise<[PermissionReply, string]> {
  if (approve) return [approve, "--approve"];
  if (!process.stdin.isTTY) return ["reject", "stdin is not a terminal; use --approve to allow"];
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await rl.question(`${question}\n  Allow? [o]nce / [a]lways / [r]eject: `)).trim().toLowerCase();
      const reply = REPLIES.find((r) => r.startsWith(answer.slice(0, 1)) && answer.length > 0);
      if (reply) return [reply, "answered"];
    }
  } finally {
    rl.close();
  }
}

export function colorWanted(): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR) return true;
  return Boolean(process.stderr.isTTY);
}
