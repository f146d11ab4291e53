import type { AgentBackend, RunOptions } from "../agent/backend.js";
import type { AgentEvent, ErrorCode, PermissionReply, PermissionRequestEvent } from "../agent/events.js";
import { EXIT } from "./exit-codes.js";
import { colorsFor } from "./colors.js";
import type { Output, TerminalRenderer } from "./render.js";
import { safeText } from "./safe-text.js";
import { TurnKeys, isInterrupt } from "./turn-keys.js";

/** Who answers permission requests when nobody is asked: a flag, or the demo. */
export interface StandingAnswer {
  reply: PermissionReply;
  /** Shown beside the answer, e.g. "--approve". */
  how: string;
}

export interface TurnOptions {
  backend: AgentBackend;
  message: string;
  run: Omit<RunOptions, "signal">;
  out: Output;
  err: Output;
  /** Renders the events; absent with --json (then they go to `out` as NDJSON). */
  renderer: TerminalRenderer | undefined;
  /** Answers every permission request without asking. */
  answer?: StandingAnswer;
  /** The terminal's keyboard: Ctrl-C and permission questions. Absent when stdin is not a terminal. */
  terminal?: NodeJS.ReadStream;
}

export interface TurnResult {
  /** The first error of the conversation's own agent (not a subagent's), if any. */
  failure: ErrorCode | undefined;
  stopped: boolean;
  sessionId: string | undefined;
}

/**
 * One turn, from the message to `done`: events rendered (or printed as NDJSON), permission
 * requests answered, and Ctrl-C (a key on a terminal, SIGINT otherwise) stopping the turn on the
 * server; a second Ctrl-C quits at once. Shared by `ask`, `chat` and `demo`.
 */
export async function runTurn(o: TurnOptions): Promise<TurnResult> {
  const stopper = new AbortController();
  let interrupts = 0;
  const interrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      o.renderer?.pause();
      o.err.write("\nStopping the turn on the server… (Ctrl-C again quits at once)\n");
      stopper.abort();
    } else {
      keys?.stop();
      process.exit(EXIT.interrupted);
    }
  };
  const keys = o.terminal?.isTTY ? new TurnKeys(o.terminal, interrupt) : undefined;
  process.on("SIGINT", interrupt);
  keys?.start();

  const emit = o.renderer
    ? (event: AgentEvent) => o.renderer!.render(event)
    : (event: AgentEvent) => o.out.write(`${JSON.stringify(event)}\n`);
  const result: TurnResult = { failure: undefined, stopped: false, sessionId: undefined };
  try {
    for await (const event of o.backend.run(o.message, { ...o.run, signal: stopper.signal })) {
      emit(event);
      if (event.type === "error" && !event.metadata.subagent) result.failure ??= event.metadata.code;
      if (event.type === "done") {
        result.stopped = event.metadata.stopped;
        result.sessionId = event.metadata.sessionId;
      }
      if (event.type === "permission_request") {
        const [reply, how] = await decide(event, o, keys, interrupt);
        if (o.renderer) o.renderer.permissionAnswer(reply, how);
        else o.out.write(`${JSON.stringify({ type: "permission_reply", content: reply, metadata: { id: event.metadata.id, how } })}\n`);
        await o.backend.replyPermission(event.metadata.id, reply).catch((error: Error) => {
          o.err.write(`Could not answer the permission request: ${safeText(error.message)}\n`);
        });
      }
    }
  } finally {
    keys?.stop();
    process.off("SIGINT", interrupt);
  }
  return result;
}

/** The turn's outcome as the CLI's exit code. */
export function exitCodeOf(result: TurnResult, codeFor: (code: ErrorCode) => number): number {
  if (result.failure) return codeFor(result.failure);
  return result.stopped ? EXIT.interrupted : EXIT.ok;
}

async function decide(
  event: PermissionRequestEvent,
  o: TurnOptions,
  keys: TurnKeys | undefined,
  interrupt: () => void,
): Promise<[PermissionReply, string]> {
  if (o.answer) return [o.answer.reply, o.answer.how];
  if (!keys) return ["reject", "stdin is not a terminal; use --approve to allow"];
  const c = o.renderer?.colors ?? colorsFor(false);
  o.renderer?.pause();
  if (!o.renderer) o.err.write(`${safeText(event.content)}\n`); // with --json the question is only in the NDJSON
  const patterns = event.metadata.always.length ? c.dim(` (${safeText(event.metadata.always.join(", "))})`) : "";
  o.err.write(`  Allow it? ${c.bold("[o]")}nce · ${c.bold("[a]")}lways${patterns} · ${c.bold("[r]")}eject `);
  const key = await keys.key("oaryn");
  // The question's line gives way to the answer's.
  o.err.write("\r\u001b[2K");
  if (isInterrupt(key)) {
    interrupt();
    return ["reject", "Ctrl-C"];
  }
  if (key === "a") return ["always", "answered"];
  if (key === "r" || key === "n") return ["reject", "answered"];
  return ["once", "answered"];
}
