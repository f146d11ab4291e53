import type { AgentBackend, RunOptions } from "../../src/agent/backend.js";
import type { AgentEvent } from "../../src/agent/events.js";
import type { OcMessage } from "../../src/opencode/rest/wire.js";

/** Runs one turn to its end (bounded in time) and collects its events. */
export async function collect(
  backend: AgentBackend,
  message: string,
  options: RunOptions = {},
  onEvent?: (event: AgentEvent, all: AgentEvent[]) => void | Promise<void>,
  timeoutMs = 60_000,
): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  const run = (async () => {
    for await (const event of backend.run(message, options)) {
      events.push(event);
      await onEvent?.(event, events);
    }
    return events;
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`run did not end within ${timeoutMs} ms; events so far: ${events.map((e) => e.type).join(",")}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const textOf = (events: AgentEvent[]) =>
  events
    .filter((e) => e.type === "message")
    .map((e) => e.content)
    .join("");

export function ofType<T extends AgentEvent["type"]>(events: AgentEvent[], type: T): Extract<AgentEvent, { type: T }>[] {
  return events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type);
}

export function lastOf(events: AgentEvent[]): AgentEvent | undefined {
  return events[events.length - 1];
}

/** What the server stored for the run's assistant messages: text and tool outputs, in order. */
export function storedTurn(messages: OcMessage[], userMessageIndex = -1): { text: string; toolOutputs: string[] } {
  const users = messages.filter((m) => m.info.role === "user");
  const user = users.at(userMessageIndex);
  const answers = messages.filter((m) => m.info.role === "assistant" && m.info.parentID === user?.info.id);
  const parts = answers.flatMap((m) => m.parts);
  return {
    text: parts
      .filter((p) => p.type === "text")
      .map((p) => p.text ?? "")
      .join(""),
    toolOutputs: parts.filter((p) => p.type === "tool" && p.state?.status === "completed").map((p) => p.state?.output ?? ""),
  };
}

/** Resolves when `check` passes, polling; rejects after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, ms = 10_000, what = "condition"): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
