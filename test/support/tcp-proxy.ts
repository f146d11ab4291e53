import { type Server, type Socket, createConnection, createServer } from "node:net";

/**
 * A TCP proxy on loopback between pocketpaw and a server, for injecting network faults: each
 * client connection is tagged with the request line of its latest request ("GET /event …"; a
 * kept-alive connection carries several), so a test can cut or stall exactly the event stream,
 * or exactly the REST calls.
 */
export interface Tap {
  client: Socket;
  upstream: Socket;
  firstLine: string;
  /** Bytes from the server are no longer passed on. */
  stalled: boolean;
}

export interface TcpProxy {
  url: string;
  port: number;
  /** Destroys the matching live connections (both sides); returns how many. */
  cut(match: (firstLine: string) => boolean): number;
  /** Stops forwarding server→client bytes on matching connections (the socket stays open). */
  stall(match: (firstLine: string) => boolean): number;
  /** Refuse (reset at once) new connections whose first line matches, until cleared. */
  refuse(match: ((firstLine: string) => boolean) | undefined): void;
  connections(): Tap[];
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const taps = new Set<Tap>();
  let refusing: ((firstLine: string) => boolean) | undefined;

  const server: Server = createServer((client) => {
    const upstream = createConnection({ port: targetPort, host: targetHost });
    const tap: Tap = { client, upstream, firstLine: "", stalled: false };
    const end = () => {
      taps.delete(tap);
      client.destroy();
      upstream.destroy();
    };
    client.once("data", (first: Buffer) => {
      tap.firstLine = first.toString("latin1").split("\r\n", 1)[0] ?? "";
      if (refusing?.(tap.firstLine)) {
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      taps.add(tap);
      upstream.write(first);
      client.on("data", (chunk: Buffer) => {
        const line = chunk.toString("latin1", 0, 200).split("\r\n", 1)[0] ?? "";
        if (REQUEST_LINE.test(line)) tap.firstLine = line;
        upstream.write(chunk);
      });
    });
    upstream.on("data", (chunk) => {
      if (!tap.stalled) client.write(chunk);
    });
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy did not get a port");

  const select = (match: (firstLine: string) => boolean) => [...taps].filter((t) => match(t.firstLine));
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
    refuse(match) {
      refusing = match;
    },
    connections: () => [...taps],
    async close() {
      for (const t of taps) {
        t.client.destroy();
        t.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const REQUEST_LINE = /^[A-Z]+ \/\S* HTTP\/1\.[01]$/;

export const isEventStream = (firstLine: string) => firstLine.startsWith("GET /event");
