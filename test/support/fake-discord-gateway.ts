import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * The gateway half of the Discord fake: a WebSocket speaking Discord's gateway protocol (v10,
 * JSON, uncompressed) as far as discord.js uses it. https://discord.com/developers/docs/events/gateway
 * - on connect, op 10 HELLO with the heartbeat interval;
 * - op 1 HEARTBEAT is answered with op 11 HEARTBEAT_ACK;
 * - op 2 IDENTIFY with a bad token closes with 4004, a privileged intent not enabled with 4014;
 *   else READY (user, guilds as unavailable, session_id, resume_gateway_url, application) then a
 *   GUILD_CREATE for each guild, as Discord does;
 * - op 6 RESUME of a known session replays what was missed and sends RESUMED, else op 9;
 * - then the dispatches the test injects, numbered by `s` per session.
 */

/** Privileged intents a bot must have enabled in the Developer Portal. */
const MESSAGE_CONTENT = 1 << 15;

export interface GatewayWorld {
  token: string;
  ready(): { user: unknown; application: { id: string; flags: number }; guildIds: string[] };
  guildCreate(id: string): unknown;
  /** Whether the Message Content intent is enabled for the bot in the (fake) Developer Portal. */
  messageContentEnabled: boolean;
}

interface Session {
  id: string;
  socket: WebSocket | undefined;
  seq: number;
  /** What was dispatched, kept for a resume. */
  sent: Array<{ s: number; t: string; d: unknown }>;
}

export class FakeGateway {
  readonly identifies: Array<{ at: number; intents: number }> = [];
  readonly closes: number[] = [];
  heartbeatIntervalMs = 41_250;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly sockets = new Set<WebSocket>();

  constructor(
    private readonly world: GatewayWorld,
    private readonly url: () => string,
  ) {
    this.wss.on("connection", (socket) => this.connected(socket));
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit("connection", ws, req));
  }

  /** Sends a dispatch event to every identified connection. */
  dispatch(t: string, d: unknown): void {
    for (const session of this.sessions.values()) {
      session.seq++;
      const event = { s: session.seq, t, d };
      session.sent.push(event);
      if (session.sent.length > 1000) session.sent.shift();
      session.socket?.send(JSON.stringify({ op: 0, ...event }));
    }
  }

  /** Live, identified connections. */
  get connections(): number {
    return [...this.sessions.values()].filter((s) => s.socket).length;
  }

  /** Drops every connection as a network failure would (1006-like: no close frame). */
  dropAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
  }

  private connected(socket: WebSocket): void {
    this.sockets.add(socket);
    let session: Session | undefined;
    const send = (payload: unknown) => socket.send(JSON.stringify(payload));
    send({ op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null });
    socket.on("close", (code) => {
      this.sockets.delete(socket);
      this.closes.push(code);
      if (session?.socket === socket) session.socket = undefined;
    });
    socket.on("message", (raw) => {
      let payload: { op: number; d: Record<string, unknown> | null };
      try {
        payload = JSON.parse(String(raw));
      } catch {
        return socket.close(4002, "Error while decoding payload.");
      }
      const d = payload.d ?? {};
      switch (payload.op) {
        case 1:
          return send({ op: 11, d: null, s: null, t: null });
        case 2:
          session = this.identify(socket, d);
          return;
        case 6:
          session = this.resume(socket, d);
          return;
        case 3:
        case 4:
        case 8:
          return; // presence, voice, member requests: nothing to do here
        default:
          return socket.close(4001, "Unknown opcode.");
      }
    });
  }

  private identify(socket: WebSocket, d: Record<string, unknown>): Session | undefined {
    const intents = Number(d.intents ?? 0);
    this.identifies.push({ at: Date.now(), intents });
    if (d.token !== this.world.token) {
      socket.close(4004, "Authentication failed.");
      return undefined;
    }
    if (intents & MESSAGE_CONTENT && !this.world.messageContentEnabled) {
      socket.close(4014, "Disallowed intent(s).");
      return undefined;
    }
    const session: Session = { id: randomBytes(16).toString("hex"), socket, seq: 0, sent: [] };
    // Only this session gets its READY and GUILD_CREATEs.
    const others = [...this.sessions.entries()];
    this.sessions.clear();
    this.sessions.set(session.id, session);
    const ready = this.world.ready();
    this.dispatch("READY", {
      v: 10,
      user: ready.user,
      guilds: ready.guildIds.map((id) => ({ id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: this.url(),
      shard: [0, 1],
      application: ready.application,
      private_channels: [],
      relationships: [],
      user_settings: {},
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      auth: {},
      _trace: ["fake-discord-gateway"],
    });
    for (const id of ready.guildIds) this.dispatch("GUILD_CREATE", this.world.guildCreate(id));
    for (const [id, other] of others) this.sessions.set(id, other);
    return session;
  }

  private resume(socket: WebSocket, d: Record<string, unknown>): Session | undefined {
    const session = this.sessions.get(String(d.session_id));
    if (!session || d.token !== this.world.token) {
      socket.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      return undefined;
    }
    session.socket = socket;
    for (const event of session.sent.filter((e) => e.s > Number(d.seq ?? 0))) socket.send(JSON.stringify({ op: 0, ...event }));
    session.seq++;
    socket.send(JSON.stringify({ op: 0, s: session.seq, t: "RESUMED", d: { _trace: ["fake-discord-gateway"] } }));
    return session;
  }
}
