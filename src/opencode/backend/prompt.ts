import type { OpenCodeClient } from "../rest/client.js";
import { ApiError, OpenCodeError, TimeoutError, UnreachableError } from "../rest/errors.js";
import type { OcPromptBody } from "../rest/wire.js";
import { SessionGoneError } from "./sessions.js";

/** After a prompt call lost in transit: how often, and how far apart, storage is read for the prompt. */
const PROMPT_LOOKS = 4;
const PROMPT_LOOK_MS = 250;

/**
 * `prompt_async`, once. A call lost in transit (refused, reset, timed out) may or may not have
 * reached the server, and sending it blindly again could run the prompt twice; the prompt's
 * own message id tells, from storage (given a moment: the server may answer before it
 * stores). Not there: sent once more. There: the run follows it as usual.
 */
export async function sendPrompt(client: OpenCodeClient, sessionId: string, body: OcPromptBody): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.promptAsync(sessionId, body);
    } catch (error) {
      if (!(error instanceof UnreachableError || error instanceof TimeoutError)) throw promptFailure(error, sessionId);
      let answered = false;
      for (let look = 0; look < PROMPT_LOOKS; look++) {
        await new Promise((resolve) => setTimeout(resolve, PROMPT_LOOK_MS));
        const stored = await client.messages(sessionId).catch(() => undefined);
        answered ||= stored !== undefined;
        if (stored?.some((m) => m.info.id === body.messageID)) return;
      }
      if (!answered) throw error; // the server itself is gone: said as it is
      if (attempt === 2) {
        const why = error instanceof UnreachableError ? error.detail : "no answer in time";
        throw new OpenCodeError(
          "unreachable",
          `The prompt did not get through to the OpenCode server at ${client.displayUrl} (twice: ${why}), though the server is up and its event stream works. Something between pocketpaw and the server (a proxy, a firewall) may be dropping requests; try again.`,
          { cause: error },
        );
      }
    }
  }
}

/**
 * A prompt's failure as the run sees it: "not found" means the server lost the session (a 400
 * is the body's fault here, never the session's).
 */
export function promptFailure(error: unknown, sessionId: string): unknown {
  return error instanceof ApiError && error.isNotFound ? new SessionGoneError(sessionId, { cause: error }) : error;
}
