import { type HttpResponse, type HttpSend, nodeHttp, viaFetch } from "../transport/http.js";
import { socketHttp } from "../transport/http1.js";
import { describeNetworkError, errorBody, preview } from "./answers.js";
import { ApiError, AuthError, NotOpenCodeError, OpenCodeError, redactUrl, TimeoutError, UnreachableError } from "./errors.js";
import type {
  OcAgent,
  OcCommand,
  OcCommandBody,
  OcFileDiff,
  OcHealth,
  OcMessage,
  OcModelRef,
  OcPermissionRule,
  OcPromptBody,
  OcProviders,
  OcQuestionRequest,
  OcSession,
} from "./wire.js";

/**
 * The REST calls a thin client needs, written over node:http (transport/http.ts; the streams over
 * transport/http1.ts) rather than the official SDK: the SDK is generated for one server release,
 * returns `{data, error}` without telling a refused connection from an HTML page from a 401, and
 * has no per-call timeout. Here every call has a
 * timeout, checks the content type before trusting a 200 (unknown routes answer with the web UI),
 * reads both error body shapes (1.2's zod style and 1.15's `{name, data}`) and throws one error
 * class per failure kind.
 */
export interface ClientOptions {
  baseUrl: string;
  username?: string;
  password?: string;
  /** The project directory on the server; sent as `?directory=` on every call. */
  directory?: string;
  /** Per request, until the answer's headers (streams) or whole body (everything else). */
  timeoutMs?: number;
  /** A `fetch` to send requests through instead of node:http (tests wrap the server with one). */
  fetch?: typeof fetch;
}

type Expect = "json" | "none" | "stream";

interface RequestOptions {
  what: string;
  body?: unknown;
  query?: Record<string, string>;
  signal?: AbortSignal;
  expect: Expect;
  /** Content types a stream answer may have (checked before the body is read). */
  streamTypes?: string[];
  /** This call's own bound instead of the client's `timeoutMs` (calls that block while the server works). */
  timeoutMs?: number;
}

/** How long a call that blocks until the server has done the work (a summary, a command's turn) may take. */
const LONG_CALL_MS = 10 * 60_000;

export class OpenCodeClient {
  readonly baseUrl: string;
  /** The URL as shown to people: no credentials. */
  readonly displayUrl: string;
  readonly directory: string | undefined;
  readonly timeoutMs: number;
  private readonly authHeader: string | undefined;
  private readonly send: HttpSend;
  /** For the streams (`/event`, the seed's NDJSON prompt): see http1.ts. */
  private readonly sendStream: HttpSend;

  constructor(options: ClientOptions) {
    const url = new URL(options.baseUrl);
    // Credentials written into the URL are moved to the header, never sent twice or shown.
    const username = options.username || decodeURIComponent(url.username) || "opencode";
    const password = options.password || decodeURIComponent(url.password);
    url.username = "";
    url.password = "";
    this.baseUrl = url.toString().replace(/\/+$/, "");
    this.displayUrl = redactUrl(this.baseUrl);
    this.directory = options.directory || undefined;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.authHeader = password ? `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` : undefined;
    this.send = options.fetch ? viaFetch(options.fetch) : nodeHttp;
    this.sendStream = options.fetch ? this.send : socketHttp;
  }

  get hasCredentials(): boolean {
    return this.authHeader !== undefined;
  }

  /** `GET /global/health` (real servers since 1.2). */
  health(signal?: AbortSignal): Promise<OcHealth> {
    return this.request<OcHealth>("GET", "/global/health", { what: "the health check", expect: "json", signal });
  }

  /** The seed's health check, `GET /`: JSON on a seed-style server, the web UI on a real one. */
  rootHealth(signal?: AbortSignal): Promise<Partial<OcHealth>> {
    return this.request<Partial<OcHealth>>("GET", "/", { what: "the health check (GET /)", expect: "json", signal });
  }

  /** `GET /doc`, the OpenAPI document: only to recognise releases too old for /global/health. */
  apiDoc(signal?: AbortSignal): Promise<unknown> {
    return this.request<unknown>("GET", "/doc", { what: "the API description", expect: "json", signal });
  }

  /** `GET` of a route that answers JSON on some server kinds only (OpenCode 2's `/api/info`): for detection. */
  probe(path: string, signal?: AbortSignal): Promise<unknown> {
    return this.request<unknown>("GET", path, { what: `GET ${path}`, expect: "json", signal });
  }

  createSession(body: { title: string; permission?: OcPermissionRule[]; parentID?: string }): Promise<OcSession> {
    return this.request<OcSession>("POST", "/session", { what: "creating a session", body, expect: "json" });
  }

  getSession(id: string): Promise<OcSession> {
    return this.request<OcSession>("GET", `/session/${enc(id)}`, { what: "reading the session", expect: "json" });
  }

  deleteSession(id: string): Promise<boolean> {
    return this.request<boolean>("DELETE", `/session/${enc(id)}`, { what: "deleting the session", expect: "json" });
  }

  /** Queues the prompt and answers at once (204); the work arrives as events. */
  async promptAsync(id: string, body: OcPromptBody): Promise<void> {
    await this.request("POST", `/session/${enc(id)}/prompt_async`, { what: "the prompt", body, expect: "none" });
  }

  /**
   * The seed's protocol: `POST /session/{id}/message` answering with a stream (NDJSON). On a real
   * server this route blocks until the turn ends and returns one JSON message.
   */
  promptStream(id: string, body: OcPromptBody, signal?: AbortSignal): Promise<HttpResponse> {
    return this.request<HttpResponse>("POST", `/session/${enc(id)}/message`, {
      what: "the prompt",
      body,
      expect: "stream",
      signal,
      streamTypes: ["application/x-ndjson", "application/jsonl", "application/json", "text/plain"],
    });
  }

  messages(id: string, signal?: AbortSignal): Promise<OcMessage[]> {
    return this.request<OcMessage[]>("GET", `/session/${enc(id)}/message`, {
      what: "reading the session's messages",
      expect: "json",
      signal,
    });
  }

  /** Map of session id → status for the sessions that are not idle. */
  sessionStatus(signal?: AbortSignal): Promise<Record<string, { type: string }>> {
    return this.request("GET", "/session/status", { what: "reading session status", expect: "json", signal });
  }

  /** `GET /config/providers`: the configured providers with their models, and the default model per provider. */
  providers(signal?: AbortSignal): Promise<OcProviders> {
    return this.request<OcProviders>("GET", "/config/providers", { what: "reading the providers", expect: "json", signal });
  }

  /** `GET /config`: the server's effective configuration; `model` is its default model ("provider/model"), when set. */
  config(signal?: AbortSignal): Promise<{ model?: string; [key: string]: unknown }> {
    return this.request("GET", "/config", { what: "reading the configuration", expect: "json", signal });
  }

  /** `GET /path`: the folders the server works with; `directory` is the project directory a request gets. */
  paths(signal?: AbortSignal): Promise<{ directory?: string; worktree?: string; home?: string }> {
    return this.request("GET", "/path", { what: "reading the server's paths", expect: "json", signal });
  }

  /**
   * `GET /file?path=`: the entries of a folder of the project directory. The server answers an
   * error (500 on 1.18) when the project directory itself does not exist: the way to check it.
   */
  listFiles(path: string, signal?: AbortSignal): Promise<Array<{ name: string; type?: string }>> {
    return this.request("GET", "/file", { what: "listing the project directory", expect: "json", query: { path }, signal });
  }

  /**
   * `POST /session/{id}/command`: runs a command as the turn's prompt. It answers only when the
   * turn has ended (its last assistant message), so the caller follows the turn on the event
   * stream and aborts this call when the run ends; closing it does not stop the server's run.
   */
  async command(id: string, body: OcCommandBody, signal: AbortSignal): Promise<void> {
    await this.request("POST", `/session/${enc(id)}/command`, {
      what: "the command",
      body,
      expect: "none",
      signal,
      timeoutMs: LONG_CALL_MS,
    });
  }

  /** `GET /agent`: every agent of the server, subagents and hidden ones included. */
  agents(): Promise<OcAgent[]> {
    return this.request("GET", "/agent", { what: "reading the agents", expect: "json" });
  }

  /** `GET /command`: the built-in, configured, MCP and skill commands. */
  commands(): Promise<OcCommand[]> {
    return this.request("GET", "/command", { what: "reading the commands", expect: "json" });
  }

  /** `GET /question`: the questions waiting for an answer, in every session of the directory. */
  pendingQuestions(signal?: AbortSignal): Promise<OcQuestionRequest[]> {
    return this.request("GET", "/question", { what: "reading the pending questions", expect: "json", signal });
  }

  async replyQuestion(requestId: string, answers: string[][]): Promise<void> {
    await this.request("POST", `/question/${enc(requestId)}/reply`, {
      what: "the answer to the question",
      body: { answers },
      expect: "json",
    });
  }

  async rejectQuestion(requestId: string): Promise<void> {
    await this.request("POST", `/question/${enc(requestId)}/reject`, { what: "refusing the question", expect: "json" });
  }

  /** `GET /session/{id}/diff`: what the turn of user message `messageId` changed (git projects only; `[]` elsewhere). */
  sessionDiff(id: string, messageId: string, signal?: AbortSignal): Promise<OcFileDiff[]> {
    return this.request("GET", `/session/${enc(id)}/diff`, {
      what: "reading the changes",
      expect: "json",
      query: { messageID: messageId },
      signal,
    });
  }

  /** Reverts the session to before user message `messageId`: later messages are hidden (dropped at the next prompt), files restored. */
  revert(id: string, messageId: string): Promise<OcSession> {
    return this.request("POST", `/session/${enc(id)}/revert`, { what: "undoing the turn", body: { messageID: messageId }, expect: "json" });
  }

  /** Restores everything the session's revert hid. */
  unrevert(id: string): Promise<OcSession> {
    return this.request("POST", `/session/${enc(id)}/unrevert`, { what: "redoing the turn", expect: "json" });
  }

  /** A new session holding a copy of this one's messages. */
  fork(id: string): Promise<OcSession> {
    return this.request("POST", `/session/${enc(id)}/fork`, { what: "forking the session", body: {}, expect: "json" });
  }

  /** Summarises the session with `model` (answers when the summary is written). */
  async summarize(id: string, model: OcModelRef): Promise<void> {
    await this.request("POST", `/session/${enc(id)}/summarize`, {
      what: "compacting the session",
      body: model,
      expect: "json",
      timeoutMs: LONG_CALL_MS,
    });
  }

  abort(id: string): Promise<boolean> {
    return this.request<boolean>("POST", `/session/${enc(id)}/abort`, { what: "the abort", expect: "json" });
  }

  async replyPermission(requestId: string, reply: "once" | "always" | "reject", message?: string): Promise<void> {
    await this.request("POST", `/permission/${enc(requestId)}/reply`, {
      what: "the permission reply",
      body: message ? { reply, message } : { reply },
      expect: "json",
    });
  }

  /** Opens `GET /event` (SSE). The timeout covers only the wait for headers. */
  events(signal: AbortSignal): Promise<HttpResponse> {
    return this.request<HttpResponse>("GET", "/event", {
      what: "the event stream",
      expect: "stream",
      signal,
      streamTypes: ["text/event-stream"],
    });
  }

  private url(path: string, query?: Record<string, string>): string {
    const params = new URLSearchParams(query);
    if (this.directory) params.set("directory", this.directory);
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ""}`;
  }

  private async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const timeout = new AbortController();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    const headers: Record<string, string> = { accept: options.expect === "stream" ? "*/*" : "application/json" };
    if (this.authHeader) headers.authorization = this.authHeader;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const where = `${method} ${path}`;
    try {
      let response: HttpResponse;
      try {
        const send = options.expect === "stream" ? this.sendStream : this.send;
        response = await send(this.url(path, options.query), {
          method,
          headers,
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal,
        });
      } catch (error) {
        if (timeout.signal.aborted) throw new TimeoutError(options.what, timeoutMs);
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        throw new UnreachableError(this.displayUrl, describeNetworkError(error), { cause: error });
      }
      if (options.expect === "stream" && response.ok) {
        // Streams live on past the timeout: only the wait for headers was bounded.
        clearTimeout(timer);
        const type = response.header("content-type") ?? "";
        if (!options.streamTypes?.some((t) => type.includes(t))) {
          response.cancel();
          throw new NotOpenCodeError(this.displayUrl, `${where} answered with ${type || "no content type"}, not a stream`);
        }
        return response as T;
      }
      return await this.readAnswer<T>(response, where, options);
    } catch (error) {
      if (error instanceof OpenCodeError) throw error;
      if (timeout.signal.aborted) throw new TimeoutError(options.what, timeoutMs);
      if (options.signal?.aborted) throw error;
      throw new UnreachableError(this.displayUrl, describeNetworkError(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private async readAnswer<T>(response: HttpResponse, where: string, options: RequestOptions): Promise<T> {
    const type = response.header("content-type") ?? "";
    if (response.status === 401 || response.status === 403) {
      response.cancel();
      throw new AuthError(this.displayUrl, response.status, this.hasCredentials, type);
    }
    if (type.includes("text/html")) {
      response.cancel();
      throw new NotOpenCodeError(this.displayUrl, `${where} answered with an HTML page (HTTP ${response.status}) where JSON was expected`);
    }
    const text = await response.text();
    if (!response.ok) {
      const { name, message } = errorBody(text);
      throw new ApiError(response.status, name, message, options.what);
    }
    if (options.expect === "none" || response.status === 204 || text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new NotOpenCodeError(
        this.displayUrl,
        `${where} answered with something that is not JSON (${type || "no content type"}): ${preview(text)}`,
      );
    }
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
