import { createConnection, createServer, type Server, type Socket } from "node:net";
import { asHttpChunk, ResponseFraming } from "./http-framing.js";

/**
 * A TCP proxy on loopback between pocketpaw and a server, for injecting network faults: each
 * client connection is tagged with the request line of its latest request ("GET /event …"; a
 * kept-alive connection carries several), so a test can pick exactly the event stream, or exactly
 * some REST calls, and
 * - cut them (both sides destroyed), or stall them (bytes stop, sockets stay open);
 * - refuse requests (reset before the server sees them), or reset them once the server has
 *   answered (the server did the work, the client never hears of it);
 * - deliver the server's bytes one at a time, or with a multi-byte UTF-8 character cut between
 *   two packets;
 * - inject bytes into the server→client stream: as a chunk of the HTTP body of their own, so they
 *   reach the client's SSE decoder (garbage frames, truncated JSON), or raw, breaking the framing.
 */
export interface Tap {
  client: Socket;
  upstream: Socket;
  /** The request line of the connection's latest request. */
  firstLine: string;
  /** Bytes from the server are no longer passed on. */
  stalled: boolean;
}

export type LineMatch = (firstLine: string) => boolean;

/** How server→client bytes are written: one byte per write, or each chunk cut inside its first multi-byte character. */
export type Delivery = "drip" | "split-utf8";

export interface RefuseOptions {
  /** Only the next `times` matching requests (default: until cleared). */
  times?: number;
  /**
   * "before": reset at once, the server never sees the request (default).
   * "after-answer": forward it, then reset the connection when the server's answer starts.
   */
  when?: "before" | "after-answer";
}

export interface Refusal {
  /** Requests refused so far. */
  readonly count: number;
}

export interface TcpProxy {
  url: string;
  port: number;
  /** Destroys the matching live connections (both sides); returns how many. */
  cut(match: LineMatch): number;
  /** Stops forwarding server→client bytes on matching connections (the socket stays open). */
  stall(match: LineMatch): number;
  /** Refuses matching requests, new connections and kept-alive ones alike; `undefined` clears. */
  refuse(match: LineMatch | undefined, options?: RefuseOptions): Refusal;
  /** How server→client bytes of matching connections (live and future) are written; `undefined` clears. */
  deliver(match: LineMatch | undefined, delivery?: Delivery): void;
  /**
   * Inserts `bytes` into the server→client stream of matching live connections: at the next
   * boundary between two chunks of the HTTP body, framed as a chunk of its own, or with `raw`
   * at once and unframed. Returns how many connections will get it.
   */
  inject(match: LineMatch, bytes: string | Uint8Array, options?: { raw?: boolean }): number;
  connections(): Tap[];
  close(): Promise<void>;
}

interface Connection extends Tap {
  framing: ResponseFraming;
  /** Framed injections waiting for a chunk boundary. */
  waiting: Buffer[];
  outbox: Outbox;
  /** Reset the connection when the server starts answering (a request refused "after-answer"). */
  resetOnAnswer: boolean;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const taps = new Set<Connection>();
  let refusing: { match: LineMatch; left: number; when: "before" | "after-answer"; count: number } | undefined;
  let shaping: { match: LineMatch; delivery: Delivery } | undefined;

  /** Whether this request is refused; if so the connection is dealt with. */
  const refused = (conn: Connection): boolean => {
    if (!refusing || refusing.left <= 0 || !refusing.match(conn.firstLine)) return false;
    refusing.left--;
    refusing.count++;
    if (refusing.when === "after-answer") {
      conn.resetOnAnswer = true;
      return false;
    }
    conn.client.resetAndDestroy();
    conn.upstream.destroy();
    return true;
  };

  /** Server→client bytes: stalled, reset, framed injections at chunk boundaries, shaped delivery. */
  const fromServer = (conn: Connection, chunk: Buffer) => {
    if (conn.stalled) return;
    if (conn.resetOnAnswer) {
      conn.client.resetAndDestroy();
      conn.upstream.destroy();
      return;
    }
    const delivery = shaping?.match(conn.firstLine) ? shaping.delivery : undefined;
    let start = 0;
    for (const boundary of conn.framing.boundaries(chunk)) {
      if (conn.waiting.length === 0) continue;
      conn.outbox.push(chunk.subarray(start, boundary), delivery);
      for (const injected of conn.waiting.splice(0)) conn.outbox.push(injected);
      start = boundary;
    }
    if (start < chunk.length) conn.outbox.push(chunk.subarray(start), delivery);
  };

  /** Every accepted socket, tagged or not: close() must not wait on one that never sent a byte. */
  const accepted = new Set<Socket>();
  const server: Server = createServer((client) => {
    accepted.add(client);
    client.once("close", () => accepted.delete(client));
    client.setNoDelay(true);
    const upstream = createConnection({ port: targetPort, host: targetHost });
    const conn: Connection = {
      client,
      upstream,
      firstLine: "",
      stalled: false,
      framing: new ResponseFraming(),
      waiting: [],
      outbox: new Outbox(client),
      resetOnAnswer: false,
    };
    const end = () => {
      taps.delete(conn);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      const line = chunk.toString("latin1", 0, 200).split("\r\n", 1)[0] ?? "";
      if (REQUEST_LINE.test(line)) {
        conn.firstLine = line;
        if (refused(conn)) return end();
      }
      taps.add(conn);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => fromServer(conn, chunk));
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy did not get a port");

  const select = (match: LineMatch) => [...taps].filter((t) => match(t.firstLine));
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    cut(match) {
      const hit = select(match);
      for (const t of hit) {
        t.client.destroy();
        t.upstream.destroy();
      }
      return hit.length;
    },
    stall(match) {
      const hit = select(match);
      for (const t of hit) t.stalled = true;
      return hit.length;
    },
    refuse(match, options = {}) {
      const state = match
        ? { match, left: options.times ?? Number.POSITIVE_INFINITY, when: options.when ?? "before", count: 0 }
        : undefined;
      refusing = state;
      return {
        get count() {
          return state?.count ?? 0;
        },
      };
    },
    deliver(match, delivery) {
      shaping = match && delivery ? { match, delivery } : undefined;
    },
    inject(match, bytes, options = {}) {
      const data = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes);
      const hit = select(match);
      for (const t of hit) {
        if (options.raw) t.outbox.push(data);
        else if (t.framing.atChunkBoundary) t.outbox.push(asHttpChunk(data));
        else t.waiting.push(asHttpChunk(data));
      }
      return hit.length;
    },
    connections: () => [...taps],
    async close() {
      for (const t of taps) {
        t.client.destroy();
        t.upstream.destroy();
      }
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Writes to a socket in order. Plain bytes are written at once unless shaped bytes are still
 * queued; shaped bytes are written piece by piece, each handed to the kernel (write callback),
 * then a pause, before the next.
 */
class Outbox {
  private readonly queue: Array<{ bytes: Buffer; delivery: Delivery | undefined }> = [];
  private pumping = false;

  constructor(private readonly socket: Socket) {}

  push(bytes: Buffer, delivery?: Delivery): void {
    if (bytes.length === 0) return;
    if (!delivery && !this.pumping) {
      this.socket.write(bytes);
      return;
    }
    this.queue.push({ bytes, delivery });
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        for (const piece of pieces(item.bytes, item.delivery)) {
          if (this.socket.destroyed) return;
          await new Promise<void>((resolve) => this.socket.write(piece, () => resolve()));
          // A pause, so the reader reads each piece on its own: a turn of the event loop for a
          // dripped byte (enough when the reader is in this process, as in the tests), a few
          // milliseconds between the halves of a cut character.
          await new Promise((resolve) => (item.delivery === "drip" ? setImmediate(resolve) : setTimeout(resolve, 5)));
        }
      }
    } finally {
      this.queue.length = 0;
      this.pumping = false;
    }
  }
}

function pieces(bytes: Buffer, delivery: Delivery | undefined): Buffer[] {
  if (delivery === "drip") return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
  if (delivery === "split-utf8") {
    // After the lead byte of the first multi-byte character (0b11xxxxxx).
    const lead = bytes.findIndex((b) => b >= 0xc0);
    if (lead !== -1) return [bytes.subarray(0, lead + 1), bytes.subarray(lead + 1)];
  }
  return [bytes];
}

const REQUEST_LINE = /^[A-Z]+ \/\S* HTTP\/1\.[01]$/;

export const isEventStream: LineMatch = (firstLine) => firstLine.startsWith("GET /event");
