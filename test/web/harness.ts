import type { AgentEvent, PermissionReply } from "../../src/agent/events.js";
import { OpenCodeBackend } from "../../src/opencode/backend/backend.js";
import { type ScriptedModel, startScriptedModel } from "../../src/opencode/local-server/scripted-model.js";
import type { OcPermissionRule } from "../../src/opencode/rest/wire.js";
import { MemorySessionStore } from "../../src/sessions/store.js";
import { type Dashboard, type DashboardOptions, startDashboard } from "../../src/web/server.js";
import { type OpenCodeServer, startOpenCode } from "../support/opencode-server.js";

/**
 * The whole stack for the web tests, all real and on loopback: the scripted model, `opencode
 * serve`, pocketpaw's OpenCode backend and the dashboard server on a free port.
 */
export interface WebStack {
  model: ScriptedModel;
  opencode: OpenCodeServer;
  /** The dashboard's base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  backend: OpenCodeBackend;
  store: MemorySessionStore;
  /** Dashboards started on this stack (startDashboard again for other access settings). */
  dashboards: Dashboard[];
  dashboard(options?: Partial<DashboardOptions>): Promise<Dashboard>;
  stop(): Promise<void>;
}

/** bash commands starting "echo ask" need permission; every other tool runs without asking. */
export const ASK_RULES: OcPermissionRule[] = [{ permission: "bash", pattern: "echo ask*", action: "ask" }];

export async function startWebStack(defaults: Partial<DashboardOptions> = {}): Promise<WebStack> {
  const model = await startScriptedModel();
  const opencode = await startOpenCode({ modelBaseURL: model.baseURL }).catch(async (error) => {
    await model.close();
    throw error;
  });
  const store = new MemorySessionStore();
  const backend = new OpenCodeBackend({ baseUrl: opencode.url, timeoutMs: 10_000, store, permission: ASK_RULES });
  const dashboards: Dashboard[] = [];
  const dashboard = async (options: Partial<DashboardOptions> = {}) => {
    const d = await startDashboard({ backend, host: "127.0.0.1", port: 0, version: "test", ...defaults, ...options });
    dashboards.push(d);
    return d;
  };
  const first = await dashboard();
  return {
    model,
    opencode,
    url: first.url,
    backend,
    store,
    dashboards,
    dashboard,
    async stop() {
      await Promise.allSettled(dashboards.map((d) => d.close()));
      await backend.close();
      await opencode.stop();
      await model.close();
    },
  };
}

export interface Frame {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads Server-Sent Event frames from a response until `until` says stop, the stream ends, or
 * `timeoutMs` passes (then it rejects, naming what it got). The parser is deliberately a
 * separate one from the page's, so the two check each other.
 */
export async function readFrames(
  response: Response,
  until: (frame: Frame, all: Frame[]) => boolean = (f) => isDone(f),
  timeoutMs = 30_000,
): Promise<Frame[]> {
  if (!response.body) throw new Error("no body");
  const frames: Frame[] = [];
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    void reader.cancel();
  }, timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        if (expired) throw new Error(`no end of stream within ${timeoutMs} ms; frames: ${frames.map((f) => f.id).join(",")}`);
        return frames;
      }
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: Frame = { data: "" };
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = line.slice(0, colon);
          const text = line.slice(colon + 1).replace(/^ /, "");
          if (field === "id") frame.id = text;
          else if (field === "event") frame.event = text;
          else if (field === "data") data.push(text);
        }
        if (data.length === 0) continue;
        frame.data = data.join("\n");
        frames.push(frame);
        if (until(frame, frames)) return frames;
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
}

export const eventOf = (frame: Frame): AgentEvent => JSON.parse(frame.data) as AgentEvent;
export const isDone = (frame: Frame): boolean => frame.event === undefined && eventOf(frame).type === "done";
export const eventsOf = (frames: Frame[]): AgentEvent[] => frames.filter((f) => f.event === undefined).map(eventOf);

/** Sends a message through the API; the answer is the event stream. */
export function postMessage(base: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/api/conversations/${encodeURIComponent(key)}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function replyPermission(base: string, id: string, reply: PermissionReply): Promise<Response> {
  return fetch(`${base}/api/permissions/${encodeURIComponent(id)}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ reply }),
  });
}
