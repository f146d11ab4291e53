import type { TranscriptTurn } from "../agent/backend.js";
import { type AgentEvent, addUsage, doneEvent, emptyUsage } from "../agent/events.js";
import type { TerminalRenderer } from "./render.js";
import { safeText } from "./safe-text.js";

/**
 * A stored conversation as the terminal shows a live turn: each prompt, then its answer as
 * AgentEvents, so a transcript looks exactly like the chat did (text, tools, folded reasoning,
 * errors, usage).
 */
export function renderTranscript(turns: TranscriptTurn[], renderer: TerminalRenderer, onEvent?: (event: AgentEvent) => void): void {
  const c = renderer.colors;
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
    renderer.render(doneEvent({ stopped: false, failed: false, usage, turns: turn.steps }));
    renderer.line("");
  }
}
