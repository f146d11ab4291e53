import type { AgentBackend, RunOptions } from "../agent/backend.js";
import type { AgentEvent, ErrorCode, PermissionRequestEvent, QuestionAnswer, QuestionEvent } from "../agent/events.js";
import { driveRun, type PermissionAnswer, type RunOutcome } from "../agent/run-driver.js";
import { colorsFor } from "./colors.js";
import { EXIT } from "./exit-codes.js";
import type { Output, TerminalRenderer } from "./render.js";
import { parseAnswer, questionLines } from "./render-parts.js";
import { safeText } from "./safe-text.js";
import { isInterrupt, TurnKeys, type TypeAhead } from "./turn-keys.js";

export interface TurnOptions {
  backend: AgentBackend;
  message: string;
  run: Omit<RunOptions, "signal">;
  out: Output;
  err: Output;
  /** Renders the events; absent with --json (then they go to `out` as NDJSON). */
  renderer: TerminalRenderer | undefined;
  /** Answers every permission request without asking (--approve, or the demo). */
  answer?: PermissionAnswer;
  /** The terminal's keyboard: Ctrl-C, permission requests and questions. Absent when stdin is not a terminal. */
  terminal?: NodeJS.ReadStream;
  /** Where lines typed during the turn are queued (the chat); without it they are dropped. */
  typeAhead?: TypeAhead;
}

export type TurnResult = RunOutcome;

/**
 * One turn at the terminal, on the run driver: events rendered (or printed as NDJSON), permission
 * requests answered (the standing answer, else a key on a terminal, else reject), the agent's
 * questions answered (typed on a terminal, else rejected), and Ctrl-C (a
 * key on a terminal, SIGINT otherwise) stopping the turn on the server; a second Ctrl-C quits at
 * once. Shared by `ask`, `chat` and `demo`.
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
  const keys = o.terminal?.isTTY ? new TurnKeys(o.terminal, interrupt, o.typeAhead) : undefined;
  process.on("SIGINT", interrupt);
  keys?.start();
  try {
    const renderer = o.renderer;
    return await driveRun(o.backend, o.message, {
      run: { ...o.run, signal: stopper.signal },
      onEvent: renderer
        ? (event: AgentEvent) => renderer.render(event)
        : (event: AgentEvent) => void o.out.write(`${JSON.stringify(event)}\n`),
      permissions: (event) => decide(event, o, keys, interrupt),
      onPermissionAnswer: (event, { reply, how }) => {
        if (o.renderer) o.renderer.permissionAnswer(reply, how);
        else o.out.write(`${JSON.stringify({ type: "permission_reply", content: reply, metadata: { id: event.metadata.id, how } })}\n`);
      },
      questions: async (event) => {
        const { answer, how } = await answerQuestion(event, o, keys, interrupt);
        if (o.renderer) o.renderer.questionAnswer(answer, how);
        else {
          const answers = answer === "reject" ? [] : answer;
          o.out.write(
            `${JSON.stringify({ type: "question_reply", content: answer === "reject" ? "reject" : "answered", metadata: { id: event.metadata.id, answers, how } })}\n`,
          );
        }
        return answer;
      },
      onReplyFailed: (error) => o.err.write(`Could not answer the agent: ${safeText(error.message)}\n`),
    });
  } finally {
    keys?.stop();
    process.off("SIGINT", interrupt);
  }
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
): Promise<PermissionAnswer> {
  if (o.answer) return o.answer;
  if (!keys) return { reply: "reject", how: "stdin is not a terminal; use --approve to allow" };
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
    return { reply: "reject", how: "Ctrl-C" };
  }
  if (key === "a") return { reply: "always", how: "answered" };
  if (key === "r" || key === "n") return { reply: "reject", how: "answered" };
  return { reply: "once", how: "answered" };
}

/**
 * The agent's question, answered on the terminal: for each of its questions an option's number
 * (several, comma-separated, when it allows), or the person's own words; Enter alone picks the
 * first option, Esc rejects the question, Ctrl-C stops the turn. Not on a terminal it is rejected.
 */
async function answerQuestion(
  event: QuestionEvent,
  o: TurnOptions,
  keys: TurnKeys | undefined,
  interrupt: () => void,
): Promise<{ answer: QuestionAnswer; how: string }> {
  if (!keys) return { answer: "reject", how: "stdin is not a terminal: the question was rejected; answer questions on a terminal" };
  const c = o.renderer?.colors ?? colorsFor(false);
  const { questions } = event.metadata;
  o.renderer?.pause();
  const answers: string[][] = [];
  for (const [i, question] of questions.entries()) {
    // With --json the question is only in the NDJSON: it is shown here for the person.
    if (!o.renderer) o.err.write(`${questionLines(question, c, { n: i + 1, of: questions.length }).join("\n")}\n`);
    const n = question.options.length;
    const pick =
      n === 0
        ? "type your answer"
        : `${n === 1 ? "1" : `1–${n}`}${question.multiple && n > 1 ? " (e.g. 1,2)" : ""} or your own words · Enter: 1`;
    for (;;) {
      o.err.write(`  ${c.dim(`${pick} · Esc: reject`)} ${c.bold("›")} `);
      const typed = await keys.line(o.err);
      if (typed === "interrupt") {
        interrupt();
        return { answer: "reject", how: "Ctrl-C" };
      }
      if (typed === "escape") {
        o.err.write("\n");
        return { answer: "reject", how: "Esc" };
      }
      const parsed = parseAnswer(question, typed.text);
      if ("labels" in parsed) {
        answers.push(parsed.labels);
        break;
      }
      o.err.write(`  ${c.red(parsed.error)}\n`);
    }
  }
  return { answer: answers, how: "answered" };
}
