import type { TranscriptTurn } from "../../agent/backend.js";
import type { OcMessage } from "../rest/wire.js";
import { TurnTranslator } from "./translate.js";

/**
 * A session's stored messages as turns of AgentEvents, read by the same translator as live runs
 * (so a front end renders history and live turns the same way). Each turn reads only the messages
 * from its user message to the next one: the answers to a prompt come after it.
 */
export function transcriptOf(messages: OcMessage[]): TranscriptTurn[] {
  const turns: TranscriptTurn[] = [];
  messages.forEach((message, index) => {
    if (message.info.role !== "user") return;
    const next = messages.findIndex((m, i) => i > index && m.info.role === "user");
    const answers = messages.slice(index, next < 0 ? undefined : next);
    const translator = new TurnTranslator({ sessionId: message.info.sessionID, userMessageId: message.info.id });
    const text = (message.parts ?? [])
      .filter((p) => p.type === "text" && !(p as { synthetic?: boolean }).synthetic)
      .map((p) => p.text ?? "")
      .join("");
    const events = translator.resync(answers, false);
    turns.push({
      id: message.info.id,
      text,
      ...(message.info.time?.created ? { at: message.info.time.created } : {}),
      events,
      steps: translator.turns,
    });
  });
  return turns;
}
