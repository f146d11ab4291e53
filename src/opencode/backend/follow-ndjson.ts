import type { AgentEvent } from "../../agent/events.js";
import type { OpenCodeClient } from "../rest/client.js";
import { OpenCodeError } from "../rest/errors.js";
import { messageEvents, type OcEvent, type OcMessage } from "../rest/wire.js";
import { filesChangedEvent } from "../translate/agent-events.js";
import { changedFiles } from "../translate/changed-files.js";
import { TurnTranslator } from "../translate/translate.js";
import { readNdjsonLines } from "../transport/ndjson.js";
import { newMessageId } from "./message-id.js";
import { promptFailure } from "./prompt.js";
import type { Turn } from "./run-state.js";

/**
 * The seed's protocol: the answer to `POST /session/{id}/message` is the turn itself, one
 * JSON value per line: OpenCode events (`{type, properties}`) or whole messages
 * (`{info, parts}`), read by the same translator.
 */
export async function* followNdjson(client: OpenCodeClient, turn: Turn): AsyncGenerator<AgentEvent[]> {
  const { run, sessionId, signal, request } = turn;
  if (request.kind !== "prompt")
    throw new OpenCodeError(
      "unsupported",
      "This server speaks the seed's NDJSON protocol, which has no commands: send the text as a message instead.",
    );
  if (signal.aborted) return run.stopping("stop"); // nothing sent yet: nothing to stop
  const translator = run.begin(new TurnTranslator({ sessionId, userMessageId: newMessageId(turn.after), anyAssistant: true }));
  const reading = new AbortController();
  const stop = (why: "stop" | "max_turns") => {
    run.stopping(why);
    reading.abort();
    client.abort(sessionId).catch(() => {});
  };
  const onAbort = () => stop("stop");
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const response = await client
      .promptStream(sessionId, request.body(translator.userMessageId), reading.signal)
      .catch((error: unknown) => {
        throw promptFailure(error, sessionId);
      });
    for await (const line of readNdjsonLines(response.body)) {
      // A line's events go out together (the follower's batches: see follow-events.ts).
      const out: AgentEvent[] = [];
      for (const event of parseNdjsonLine(line)) translator.handle(event, out);
      const limit = run.turnLimitReached();
      if (limit) out.push(limit);
      if (out.length > 0) yield out;
      if (limit) stop("max_turns");
    }
  } catch (error) {
    if (!reading.signal.aborted) throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  // No diff route on this protocol: the turn's own file tools say what changed.
  if (translator.changes.size > 0) yield [filesChangedEvent(changedFiles(translator.changes.list()))];
}

/** One NDJSON line as the OpenCode events it stands for; a malformed line stands for none. */
export function parseNdjsonLine(line: string): OcEvent[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return [];
  }
  if (typeof value !== "object" || value === null) return [];
  const v = value as Record<string, unknown>;
  if (typeof v.type === "string") return [{ ...v, type: v.type, properties: (v.properties as Record<string, unknown>) ?? {} }];
  if (typeof v.info === "object" && v.info !== null) return messageEvents(v as unknown as OcMessage);
  return [];
}
