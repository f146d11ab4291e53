import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { type Args, SlackWorkspace } from "./fake-slack-workspace.js";

export type { BotMessage, FakeUser } from "./fake-slack-workspace.js";

/** One Web API call as the fake saw it. */
export interface Call {
  method: string;
  /** Date.now() when it arrived. */
  at: number;
  status: number;
  /** Slack's `error` when ok was false. */
  error?: string;
  args: Args;
}

/** A Socket Mode envelope sent to the app: events_api, interactive, slash_commands. */
export interface Envelope {
  envelope_id: string;
  type: string;
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/**
 * Slack on loopback, as documented: the Web API (`POST /api/<method>`, form-encoded, JSON or
 * multipart bodies, the token as `Authorization: Bearer`, answers `{ok: true, …}` or
 * `{ok: false, error}` with HTTP 200, and 429 with `Retry-After` when asked to), the Socket Mode
 * WebSocket (apps.connections.open with the app-level token hands out a one-time ws:// URL;
 * `hello` on connect, envelopes out, `{envelope_id}` acknowledgements back; envelopes wait while
 * no connection is open), file uploads and downloads. The workspace (messages, reactions, files,
 * the events people cause) is in fake-slack-workspace.ts.
 */
export class FakeSlack extends SlackWorkspace {
  readonly calls: Call[] = [];
  readonly acks = new Map<string, { at: number; payload: unknown }>();
  /** Envelopes sent (or waiting to be), in order. */
  readonly envelopes: Envelope[] = [];
  /** Connections opened over the fake's life. */
  connections = 0;
  /** Off: new connections open, but Slack never says hello on them nor sends anything. */
  sayHello = true;
  private readonly limits = new Map<string, { times: number; retryAfter: number }>();
  private readonly failures = new Map<string, { times: number; error: string }>();
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly mute = new Set<WebSocket>();
  private readonly waiting: Envelope[] = [];
  private pinger: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    base: string,
  ) {
    super(base);
  }

  static async start(): Promise<FakeSlack> {
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fake = new FakeSlack(server, wss, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on("request", (req, res) => void fake.onRequest(req, res));
    server.on("upgrade", (req, socket, head) => fake.onUpgrade(req, socket, head));
    // Slack pings every few seconds; Socket Mode clients watch for it once the first one came.
    fake.pinger = setInterval(() => {
      for (const ws of fake.sockets) ws.ping("ping");
    }, 5000);
    return fake;
  }

  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  /** The next `times` calls of `method` are answered 429 with `Retry-After: retryAfter`. */
  rateLimit(method: string, times: number, retryAfter = 1): void {
    this.limits.set(method, { times, retryAfter });
  }

  /** The next `times` calls of `method` are answered `{ok: false, error}`. */
  failNext(method: string, error: string, times = 1): void {
    this.failures.set(method, { times, error });
  }

  callsOf(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Whether the app acknowledged the envelope. */
  acked(envelopeId: string): boolean {
    return this.acks.has(envelopeId);
  }

  /** Drops every Socket Mode connection, as Slack does when it recycles its servers. */
  dropConnections(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Asks the app to reconnect, as Slack does every few hours (`disconnect`, reason refresh_requested). */
  requestRefresh(): void {
    for (const ws of this.sockets)
      ws.send(JSON.stringify({ type: "disconnect", reason: "refresh_requested", debug_info: { host: "fake" } }));
  }

  get connected(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    clearInterval(this.pinger);
    for (const ws of [...this.sockets, ...this.mute]) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  protected deliver(type: string, payload: unknown): string {
    const envelope: Envelope = {
      envelope_id: randomBytes(8).toString("hex"),
      type,
      payload,
      accepts_response_payload: type !== "events_api",
    };
    if (type === "events_api") Object.assign(envelope, { retry_attempt: 0, retry_reason: "" });
    this.envelopes.push(envelope);
    const ws = [...this.sockets][0];
    if (ws) ws.send(JSON.stringify(envelope));
    else this.waiting.push(envelope);
    return envelope.envelope_id;
  }

  private onUpgrade(req: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer): void {
    const ticket = new URL(req.url ?? "/", this.base).searchParams.get("ticket") ?? "";
    // Each URL from apps.connections.open is good for one connection.
    if (!req.url?.startsWith("/link/") || !this.tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.connections++;
      if (!this.sayHello) {
        this.mute.add(ws);
        ws.on("close", () => this.mute.delete(ws));
        return;
      }
      this.sockets.add(ws);
      ws.on("close", () => this.sockets.delete(ws));
      ws.on("message", (data) => {
        const ack = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        if (ack.envelope_id) this.acks.set(ack.envelope_id, { at: Date.now(), payload: ack.payload });
      });
      ws.send(
        JSON.stringify({
          type: "hello",
          num_connections: this.sockets.size,
          connection_info: { app_id: this.appId },
          debug_info: { host: "fake" },
        }),
      );
      for (const envelope of this.waiting.splice(0)) ws.send(JSON.stringify(envelope));
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.base);
    const body = await read(req);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (req.method === "GET" && url.pathname.startsWith("/files/")) return this.serveFile(url.pathname, bearer, res);
    if (req.method === "POST" && url.pathname.startsWith("/upload/")) {
      const stored = await this.receiveUpload(url.pathname.slice("/upload/".length), req.headers["content-type"] ?? "", body);
      return send(res, stored ? 200 : 404, stored ? `OK - ${stored}` : "not found", "text/plain");
    }
    const method = url.pathname.startsWith("/api/") ? url.pathname.slice(5) : "";
    if (req.method !== "POST" || !method) return send(res, 404, "not found", "text/plain");
    const args = await parseArgs(req.headers["content-type"] ?? "", body);
    const call: Call = { method, at: Date.now(), status: 200, args };
    this.calls.push(call);
    const limit = this.limits.get(method);
    if (limit && limit.times > 0) {
      limit.times--;
      call.status = 429;
      call.error = "ratelimited";
      res.setHeader("retry-after", String(limit.retryAfter));
      return send(res, 429, JSON.stringify({ ok: false, error: "ratelimited" }));
    }
    const answer = this.answer(method, bearer ?? (typeof args.token === "string" ? args.token : undefined), args);
    if (!answer.ok) call.error = String(answer.error);
    send(res, 200, JSON.stringify(answer));
  }

  private answer(method: string, token: string | undefined, args: Args): Record<string, unknown> {
    if (!token) return { ok: false, error: "not_authed" };
    const app = method === "apps.connections.open";
    if (token !== this.botToken && token !== this.appToken) return { ok: false, error: "invalid_auth" };
    if (app !== (token === this.appToken)) return { ok: false, error: "not_allowed_token_type" };
    const failure = this.failures.get(method);
    if (failure && failure.times > 0) {
      failure.times--;
      return { ok: false, error: failure.error };
    }
    if (app) {
      const ticket = randomBytes(12).toString("hex");
      this.tickets.add(ticket);
      return { ok: true, url: `${this.base.replace(/^http/, "ws")}/link/?ticket=${ticket}&app_id=${this.appId}` };
    }
    return this.call(method, args);
  }
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The Web API's arguments: form fields (with JSON-valued ones decoded, as Slack does for blocks and files) or a JSON body. */
async function parseArgs(type: string, body: Buffer): Promise<Args> {
  if (type.startsWith("application/json")) return JSON.parse(body.toString() || "{}") as Args;
  const args: Args = {};
  for (const [key, value] of new URLSearchParams(body.toString())) {
    args[key] = /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value;
  }
  return args;
}

function send(res: ServerResponse, status: number, body: string, type = "application/json; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}
