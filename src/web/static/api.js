// The page's side of the HTTP API: JSON calls, and a run's Server-Sent Events read with fetch
// (EventSource cannot POST), reconnecting with Last-Event-ID when the connection drops.
import { createParser } from "./vendor/eventsource-parser.js";

/** @typedef {import("../../agent/events.js").AgentEvent} AgentEvent */

/** A failed API call, with the API's error code and sentence. */
export class ApiFailure extends Error {
  /**
   * @param {number} status 0 when pocketpaw could not be reached
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @param {string} key */
export const conversationPath = (key) => `/api/conversations/${encodeURIComponent(key)}`;

/**
 * @param {Response} response
 * @returns {Promise<ApiFailure>}
 */
async function failureOf(response) {
  try {
    const body = await response.json();
    if (body?.error?.message) return new ApiFailure(response.status, String(body.error.code), String(body.error.message));
  } catch {
    // not JSON: fall through
  }
  return new ApiFailure(response.status, "http", `pocketpaw answered HTTP ${response.status}.`);
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
async function request(path, init = {}) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiFailure(0, "unreachable", "pocketpaw cannot be reached; is `pocketpaw serve` still running?");
  }
  if (!response.ok) throw await failureOf(response);
  return response;
}

/**
 * @param {string} path
 * @param {{method?: string, body?: unknown, signal?: AbortSignal}} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const init = /** @type {RequestInit} */ ({ method: options.method ?? "GET", headers: { accept: "application/json" } });
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { accept: "application/json", "content-type": "application/json" };
  }
  if (options.signal) init.signal = options.signal;
  const response = await request(path, init);
  return response.json();
}

/**
 * @typedef {object} RunHandlers
 * @property {(event: AgentEvent) => void} onEvent
 * @property {(state: "live" | "reconnecting") => void} onConnection
 * @property {() => void} onGap events were dropped from the server's window: reload the transcript after the run
 * @property {(failure: ApiFailure) => void} onLost the run cannot be followed any more (e.g. pocketpaw restarted)
 */

const RETRY_MS = [250, 500, 1000, 2000, 4000];

/**
 * Follows one run to its `done`: the answer to the POST that started it, then, whenever the
 * connection drops, GET …/events with the id of the last frame received.
 */
export class RunStream {
  /**
   * @param {string} key
   * @param {RunHandlers} handlers
   */
  constructor(key, handlers) {
    this.key = key;
    this.handlers = handlers;
    this.controller = new AbortController();
    /** @type {string | undefined} */
    this.lastEventId = undefined;
    /** @type {string | undefined} */
    this.runId = undefined;
    this.ended = false;
  }

  /**
   * Starts the run and follows it. Rejects (with ApiFailure) only when the run could not start.
   * @param {{text: string, model?: string, agent?: string, command?: string, files?: {name: string, mime: string, data: string}[]}} message the MessageRequest
   */
  async send(message) {
    const response = await request(`${conversationPath(this.key)}/messages`, {
      method: "POST",
      headers: { accept: "text/event-stream", "content-type": "application/json" },
      body: JSON.stringify(message),
      signal: this.controller.signal,
    });
    void this.follow(response);
  }

  /** Follows the conversation's current run from its start (or from `lastEventId`). */
  attach() {
    void this.follow(undefined);
  }

  /** Stops reading; the run itself goes on on the server. */
  close() {
    this.ended = true;
    this.controller.abort();
  }

  /** @param {Response | undefined} first */
  async follow(first) {
    let response = first;
    let attempt = 0;
    const signal = this.controller.signal;
    while (!this.ended) {
      try {
        if (!response) {
          /** @type {Record<string, string>} */
          const headers = { accept: "text/event-stream" };
          if (this.lastEventId) headers["last-event-id"] = this.lastEventId;
          response = await request(`${conversationPath(this.key)}/events`, { headers, signal });
        }
        this.handlers.onConnection("live");
        await this.read(response, () => {
          attempt = 0;
        });
        if (this.ended) return;
      } catch (error) {
        if (signal.aborted) return;
        // 4xx: retrying will not help (no run any more, token gone…). Network and 5xx: retry.
        if (error instanceof ApiFailure && error.status >= 400 && error.status < 500) {
          this.ended = true;
          this.handlers.onLost(error);
          return;
        }
      }
      response = undefined;
      this.handlers.onConnection("reconnecting");
      const wait = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)] ?? 4000;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * @param {Response} response
   * @param {() => void} onProgress
   */
  async read(response, onProgress) {
    if (!response.body) throw new Error("no body");
    const parser = createParser({
      onEvent: (frame) => {
        onProgress();
        if (frame.event === "gap") return this.handlers.onGap();
        if (frame.event !== undefined) return;
        const runId = frame.id?.slice(0, frame.id.lastIndexOf("-"));
        if (this.runId && runId && runId !== this.runId) {
          // Another run than the one followed (pocketpaw restarted meanwhile): start over.
          this.close();
          this.handlers.onLost(new ApiFailure(409, "run_changed", "The conversation moved on; reloading it."));
          return;
        }
        this.runId ??= runId;
        if (frame.id) this.lastEventId = frame.id;
        /** @type {AgentEvent} */
        const event = JSON.parse(frame.data);
        this.handlers.onEvent(event);
        if (event.type === "done") this.ended = true;
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.ended) return;
        parser.feed(value);
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }
}
