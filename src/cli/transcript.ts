import { type AgentEvent, addUsage, emptyUsage } from "../agent/events.js";
import { transcriptOf } from "../opencode/transcript.js";
import type { OcMessage } from "../opencode/wire.js";
import type { TerminalRenderer } from "./render.js";
import { safeText } from "./safe-text.js";

/**
 * A session's stored messages (`GET /session/{id}/message`) as the terminal shows a live turn:
 * each prompt, then its answer as the translator reads it (see transcriptOf), so a transcript
 * looks exactly like the chat did (text, tools, folded reasoning, errors, usage).
 */
export function renderTranscript(messages: OcMessage[], renderer: TerminalRenderer, onEvent?: (event: AgentEvent) => void): void {
  const c = renderer.colors;
  const turns = transcriptOf(messages);
  if (turns.length === 0) return renderer.line(c.dim("(no messages yet)"));
  for (const turn of turns) {
    if (turn.at) renderer.line(c.dim(new Date(turn.at).toLocaleString()));
    renderer.line(`${c.cyan("you ›")} ${safeText(turn.text)}`);
    let usage = emptyUsage();
    for (const event of turn.events) {
      if (event.type === "token_usage") usage = addUsage(usage, event.metadata);
      onEvent?.(event);
      renderer.render(event);
    }
    renderer.render({ type: "done", content: "", metadata: { reason: "completed", stopped: false, usage, turns: turn.steps } });
    renderer.line("");
  }
}
