// The readers benchmark 1 puts side by side, each reading one whole replayed turn:
// - pocketpaw: its event hub (reader, SSE decoder, JSON, demultiplexer) feeding its translator,
//   and the same through the whole backend (`backend.run()`, what an application consumes);
// - the official SDK: `@opencode-ai/sdk/v2` `event.subscribe()` plus a minimal loop doing the
//   same translation (own session only, deltas → message, tool parts → tool_use/tool_result,
//   completed messages → token_usage);
// - the floor: fetch the body, split frames, `JSON.parse` each payload, nothing else.

import { createOpencodeClient } from "@opencode-ai/sdk/v2";
import type { AgentEvent } from "../src/agent/events.js";
import { OpenCodeBackend } from "../src/opencode/backend/backend.js";
import { EventHub } from "../src/opencode/events/event-hub.js";
import { OpenCodeClient } from "../src/opencode/rest/client.js";
import type { OcEvent } from "../src/opencode/rest/wire.js";
import { TurnTranslator } from "../src/opencode/translate/translate.js";
import { MemorySessionStore } from "../src/sessions/store.js";

/** What a reader delivered: for checking that it read everything, not for speed. */
export interface Delivered {
  /** Frames parsed (the floor) or AgentEvents produced (the others). */
  items: number;
  textChars: number;
  toolResults: number;
}

export interface Target {
  /** The replay server's base URL. */
  url: string;
  sessionId: string;
  /** The user message id the replayed turn answers. */
  userMessageId: string;
}

function tally(delivered: Delivered, event: AgentEvent): void {
  delivered.items++;
  if (event.type === "message") delivered.textChars += event.content.length;
  else if (event.type === "tool_result") delivered.toolResults++;
}

/** The floor: no SSE parser, no routing, no translation. */
export async function readFloor(target: Target): Promise<Delivered> {
  const delivered: Delivered = { items: 0, textChars: 0, toolResults: 0 };
  await readRawEvents(`${target.url}/replay/event`, () => delivered.items++);
  return delivered;
}

/**
 * A raw `/event` reader: fetch, split frames at blank lines, `JSON.parse` each payload (OpenCode
 * frames are one `data: ` line each). Ends when the server ends the stream or `signal` aborts.
 */
export async function readRawEvents(url: string, onEvent: (event: OcEvent) => void, signal?: AbortSignal): Promise<void> {
  const response = await fetch(url, { signal: signal ?? null });
  if (!response.body) throw new Error("no body");
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n", start)) {
        onEvent(JSON.parse(buffer.slice(start + 6, end)) as OcEvent);
        start = end + 2;
      }
      buffer = buffer.slice(start);
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
}

/** pocketpaw's hub and translator: the path every conversation's events take. */
export async function readHub(target: Target): Promise<Delivered> {
  const client = new OpenCodeClient({ baseUrl: `${target.url}/replay` });
  const hub = new EventHub(client);
  const translator = new TurnTranslator({ sessionId: target.sessionId, userMessageId: target.userMessageId });
  const delivered: Delivered = { items: 0, textChars: 0, toolResults: 0 };
  await new Promise<void>((resolve, reject) => {
    hub.subscribe(target.sessionId, (signal) => {
      switch (signal.kind) {
        case "event":
          for (const event of translator.handle(signal.event)) tally(delivered, event);
          break;
        case "disconnected": // the replay server ends the stream after the turn
          resolve();
          break;
        case "fatal":
          reject(signal.error);
          break;
        case "connected":
          break;
      }
    });
  });
  await hub.close();
  return delivered;
}

/** The whole backend: health check, session, prompt_async, then the turn as AgentEvents. */
export async function readBackend(target: Target): Promise<Delivered> {
  const backend = new OpenCodeBackend({ baseUrl: target.url, store: new MemorySessionStore() });
  const delivered: Delivered = { items: 0, textChars: 0, toolResults: 0 };
  try {
    for await (const event of backend.run("benchmark prompt", { sessionKey: "bench" })) {
      tally(delivered, event);
      if (event.type === "error") throw new Error(`the benchmark run failed: ${event.content}`);
    }
  } finally {
    await backend.close();
  }
  return delivered;
}

/** The official SDK's subscription with a minimal translation loop. */
export async function readSdk(target: Target): Promise<Delivered> {
  const client = createOpencodeClient({ baseUrl: `${target.url}/replay` });
  const { stream } = await client.event.subscribe();
  const delivered: Delivered = { items: 0, textChars: 0, toolResults: 0 };
  const ours = new Set<string>();
  const textSent = new Map<string, number>();
  const toolSeen = new Map<string, "use" | "result">();
  const usageSent = new Set<string>();
  const emit = (event: AgentEvent) => tally(delivered, event);
  for await (const event of stream) {
    switch (event.type) {
      case "message.updated": {
        const info = event.properties.info;
        if (info.sessionID !== target.sessionId || info.role !== "assistant" || info.parentID !== target.userMessageId) break;
        ours.add(info.id);
        if (info.time.completed && !usageSent.has(info.id)) {
          usageSent.add(info.id);
          const t = info.tokens;
          emit({
            type: "token_usage",
            content: "",
            metadata: {
              input: t.input,
              output: t.output,
              reasoning: t.reasoning,
              cacheRead: t.cache.read,
              cacheWrite: t.cache.write,
              cost: info.cost,
              messageId: info.id,
            },
          });
        }
        break;
      }
      case "message.part.delta": {
        const p = event.properties;
        if (p.sessionID !== target.sessionId || p.field !== "text" || !ours.has(p.messageID)) break;
        textSent.set(p.partID, (textSent.get(p.partID) ?? 0) + p.delta.length);
        emit({ type: "message", content: p.delta, metadata: { partId: p.partID, messageId: p.messageID } });
        break;
      }
      case "message.part.updated": {
        const part = event.properties.part;
        if (part.sessionID !== target.sessionId || !ours.has(part.messageID)) break;
        if (part.type === "text") {
          const sent = textSent.get(part.id) ?? 0;
          if (part.text.length > sent) {
            textSent.set(part.id, part.text.length);
            emit({ type: "message", content: part.text.slice(sent), metadata: { partId: part.id, messageId: part.messageID } });
          }
        } else if (part.type === "tool" && part.state.status !== "pending") {
          const seen = toolSeen.get(part.id);
          if (!seen)
            emit({
              type: "tool_use",
              content: part.tool,
              metadata: { name: part.tool, input: part.state.input, callId: part.callID, summary: "" },
            });
          if (seen !== "result" && (part.state.status === "completed" || part.state.status === "error")) {
            toolSeen.set(part.id, "result");
            emit({
              type: "tool_result",
              content: part.state.status === "completed" ? part.state.output : part.state.error,
              metadata: { name: part.tool, callId: part.callID, isError: part.state.status === "error" },
            });
          } else toolSeen.set(part.id, "use");
        }
        break;
      }
      default:
        break;
    }
  }
  return delivered;
}
