import { type AgentEvent, addUsage, emptyUsage } from "../agent/events.js";
import { TurnTranslator } from "../opencode/translate.js";
import type { OcMessage } from "../opencode/wire.js";
import type { TerminalRenderer } from "./render.js";

/**
 * A session's stored messages (`GET /session/{id}/message`) as the terminal shows a live turn:
 * each prompt, then its answer read by the same translator the live stream goes through, so a
 * transcript looks exactly like the chat did (text, tools, folded reasoning, errors, usage).
 */
export function renderTranscript(messages: OcMessage[], renderer: TerminalRenderer, onEvent?: (event: AgentEvent) => void): void {
  const c = renderer.colors;
  const prompts = messages.filter((m) => m.info.role === "user");
  if (prompts.length === 0) return renderer.line(c.dim("(no messages yet)"));
  for (const prompt of prompts) {
    const text = prompt.parts
      .filter((p) => p.type === "text")
      .map((p) => p.text ?? "")
      .join("");
    const when = prompt.info.time?.created;
    if (when) renderer.line(c.dim(new Date(when).toLocaleString()));
    renderer.line(`${c.cyan("you ›")} ${text}`);
    const answers = messages.filter((m) => m.info.role === "assistant" && m.info.parentID === prompt.info.id);
    const translator = new TurnTranslator({ sessionId: prompt.info.sessionID, userMessageId: prompt.info.id });
    let usage = emptyUsage();
    for (const event of translator.resync([prompt, ...answers], false)) {
      if (event.type === "token_usage") usage = addUsage(usage, event.metadata);
      onEvent?.(event);
      renderer.render(event);
    }
    renderer.render({ type: "done", content: "", metadata: { reason: "completed", stopped: false, usage, turns: translator.turns } });
    renderer.line("");
  }
}
