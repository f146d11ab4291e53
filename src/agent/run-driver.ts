import type { AgentBackend, RunOptions } from "./backend.js";
import {
  type AgentEvent,
  doneEvent,
  type ErrorCode,
  emptyUsage,
  errorEvent,
  type PermissionReply,
  type PermissionRequestEvent,
  type QuestionAnswer,
  type QuestionEvent,
  type TokenUsage,
} from "./events.js";

/** How a permission request was answered, and by whom ("--approve", "answered", …), for display. */
export interface PermissionAnswer {
  reply: PermissionReply;
  how: string;
}

export interface DriveOptions {
  run?: RunOptions;
  /** Every event of the run, in order; `done` is always the last. */
  onEvent(event: AgentEvent): void | Promise<void>;
  /**
   * The permission policy: decides each request of the run, and the driver sends the answer.
   * Absent: requests are left for someone else to answer (the dashboard's buttons, the HTTP API).
   */
  permissions?(event: PermissionRequestEvent): Promise<PermissionAnswer>;
  /** Told of each answer the policy gave, before it is sent. */
  onPermissionAnswer?(event: PermissionRequestEvent, answer: PermissionAnswer): void;
  /**
   * The question policy: answers each question of the run, and the driver sends the answer.
   * Absent: questions are left for someone else to answer.
   */
  questions?(event: QuestionEvent): Promise<QuestionAnswer>;
  /** Told when an answer could not be sent to the server. */
  onReplyFailed?(error: Error): void;
}

export interface RunOutcome {
  /** The first error of the conversation's own agent (not a subagent's), if any. */
  failure: ErrorCode | undefined;
  stopped: boolean;
  sessionId: string | undefined;
  usage: TokenUsage;
}

/**
 * One run of a backend, as every front drives it: events handed on in order, permission
 * requests answered by the front's policy, and the run's end guaranteed: whatever the backend
 * does (even throw, or end without `done`), the front sees an `error` for a failure and then
 * exactly one `done`, last. Stopping is the run's `signal`.
 */
export async function driveRun(backend: AgentBackend, message: string, o: DriveOptions): Promise<RunOutcome> {
  const outcome: RunOutcome = { failure: undefined, stopped: false, sessionId: undefined, usage: emptyUsage() };
  let done = false;
  const emit = async (event: AgentEvent) => {
    if (event.type === "error" && !event.metadata.subagent) outcome.failure ??= event.metadata.code;
    if (event.type === "done") {
      done = true;
      outcome.stopped = event.metadata.stopped;
      outcome.sessionId = event.metadata.sessionId;
      outcome.usage = event.metadata.usage;
    }
    await o.onEvent(event);
  };
  try {
    for await (const event of backend.run(message, o.run)) {
      if (done) break; // nothing follows done
      await emit(event);
      if (event.type === "permission_request" && o.permissions) {
        const answer = await o.permissions(event);
        o.onPermissionAnswer?.(event, answer);
        await backend.replyPermission(event.metadata.id, answer.reply).catch((error: Error) => o.onReplyFailed?.(error));
      }
      if (event.type === "question" && o.questions) {
        const answer = await o.questions(event);
        await backend.replyQuestion(event.metadata.id, answer).catch((error: Error) => o.onReplyFailed?.(error));
      }
    }
  } catch (error) {
    // Backends report failures as events; a throw is a bug, but the front still gets an end.
    if (!done)
      await emit(errorEvent("unknown", `The run failed inside pocketpaw: ${error instanceof Error ? error.message : String(error)}`));
  } finally {
    if (!done) {
      const stopped = o.run?.signal?.aborted ?? false;
      await emit(doneEvent({ stopped, failed: !stopped || outcome.failure !== undefined }));
    }
  }
  return outcome;
}
