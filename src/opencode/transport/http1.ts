import { isIP, connect as netConnect, type Socket } from "node:net";
import { Readable } from "node:stream";
import { type HttpSend, responseOf } from "./http.js";

/**
 * HTTP/1.1 on a socket of its own, for the long answers: the event stream (and the seed's NDJSON
 * prompt). OpenCode writes each event as an HTTP chunk of its own, and node:http's parser (C++)
 * calls into JavaScript once per chunk: measured on a replayed turn of 212,000 events, a
 * quarter of the reader's time went to that crossing (about 1.1 µs an event), where `fetch`
 * (undici, the parser in WebAssembly) costs a tenth of it but 0.25 s of CPU at its first use,
 * before the first word of a turn. Here the chunked framing is read in JavaScript and each read
 * from the socket (often hundreds of events) reaches the reader as one buffer.
 *
 * One request per connection (`connection: close`): a stream holds its connection anyway. The
 * short calls keep node:http and its keep-alive (http.ts).
 */
export const socketHttp: HttpSend = (url, init) => {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    if (init.signal.aborted) {
      reject(init.signal.reason);
      return;
    }
    let request: string;
    try {
      request = requestHead(target, init.method, init.headers, init.body);
    } catch (error) {
      reject(error);
      return;
    }
    void open(target).then((socket) => {
      const head = new HeadReader();
      let decoder: BodyDecoder | undefined;
      let body: Readable | undefined;
      /** The body's end was pushed (it is "ended" for its reader only once read). */
      let ended = false;
      const finish = (readable: Readable) => {
        ended = true;
        readable.push(null);
      };
      const onAbort = () => {
        const reason = init.signal.reason instanceof Error ? init.signal.reason : new Error("aborted");
        socket.destroy();
        if (body) body.destroy(reason);
        else reject(reason);
      };
      init.signal.addEventListener("abort", onAbort, { once: true });
      socket.once("close", () => {
        init.signal.removeEventListener("abort", onAbort);
        if (!body) {
          reject(Object.assign(new Error("the connection closed before the answer's headers"), { code: "ECONNRESET" }));
          return;
        }
        if (body.destroyed || ended) return;
        try {
          decoder?.end();
          finish(body);
        } catch (error) {
          body.destroy(error as Error);
        }
      });
      socket.on("error", (error) => {
        if (body) body.destroy(error);
        else reject(error);
      });
      const deliver = (bytes: Buffer) => {
        // Bytes after the body's end, or after the reader let it go, are dropped with the socket.
        if (!decoder || !body || body.destroyed || ended) return;
        const { bytes: got, done } = decoder.push(bytes);
        if (got.length > 0 && !body.push(got)) socket.pause();
        if (done) {
          finish(body);
          socket.destroy();
        }
      };
      socket.on("data", (chunk: Buffer) => {
        if (body) {
          try {
            deliver(chunk);
          } catch (error) {
            body.destroy(error as Error);
            socket.destroy();
          }
          return;
        }
        let parsed: ReturnType<HeadReader["push"]>;
        try {
          parsed = head.push(chunk);
          if (parsed) decoder = bodyDecoder(init.method, parsed.head);
        } catch (error) {
          socket.destroy();
          reject(error);
          return;
        }
        if (!parsed || !decoder) return;
        const { head: answer, rest } = parsed;
        const readable = new Readable({ read: () => void socket.resume() });
        body = readable;
        readable.once("close", () => socket.destroy());
        resolve(responseOf(answer.status, (name) => answer.headers.get(name.toLowerCase()) ?? null, readable));
        try {
          if (decoder.done) finish(readable);
          else if (rest.length > 0) deliver(rest);
        } catch (error) {
          readable.destroy(error as Error);
          socket.destroy();
        }
      });
      socket.write(init.body === undefined ? request : request + init.body);
    }, reject);
  });
};

async function open(target: URL): Promise<Socket> {
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1");
  const https = target.protocol === "https:";
  const port = Number(target.port) || (https ? 443 : 80);
  if (target.protocol !== "http:" && !https) throw new Error(`unsupported protocol ${target.protocol}`);
  // TLS only when asked for, as in http.ts: a plain-HTTP start does not load it.
  const socket = https
    ? (await import("node:tls")).connect({ host, port, ALPNProtocols: ["http/1.1"], ...(isIP(host) ? {} : { servername: host }) })
    : netConnect({ host, port });
  socket.setNoDelay(true);
  return socket;
}

function requestHead(target: URL, method: string, headers: Record<string, string>, body: string | undefined): string {
  const lines = [`${method} ${target.pathname}${target.search} HTTP/1.1`, `host: ${target.host}`];
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`a line break in the request header ${JSON.stringify(name)}`);
    lines.push(`${name}: ${value}`);
  }
  if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  lines.push("connection: close");
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Thrown for an answer that is not HTTP/1.x as RFC 9112 writes it. */
export class HttpFramingError extends Error {
  constructor(what: string) {
    super(`the server's answer is not valid HTTP/1.1: ${what}`);
  }
}

export interface ResponseHead {
  status: number;
  /** Names in lower case; a name given several times has its values joined by ", ". */
  headers: Map<string, string>;
}

const HEAD_LIMIT = 64 * 1024;
const LINE_LIMIT = 8 * 1024;

/** Reads the status line and header fields off the front of the answer; informational (1xx) heads are passed over. */
export class HeadReader {
  #buffered = Buffer.alloc(0);

  /** The head and the bytes after it, once the head is complete. */
  push(bytes: Buffer): { head: ResponseHead; rest: Buffer } | undefined {
    let buffered = this.#buffered.length > 0 ? Buffer.concat([this.#buffered, bytes]) : bytes;
    for (;;) {
      const end = buffered.indexOf("\r\n\r\n");
      if (end === -1) {
        if (buffered.length > HEAD_LIMIT) throw new HttpFramingError(`no end of the headers in the first ${HEAD_LIMIT} bytes`);
        this.#buffered = Buffer.from(buffered);
        return undefined;
      }
      const head = parseHead(buffered.toString("latin1", 0, end));
      buffered = buffered.subarray(end + 4);
      // 100 Continue, 103 Early Hints: a final answer follows.
      if (head.status >= 100 && head.status < 200 && head.status !== 101) continue;
      this.#buffered = Buffer.alloc(0);
      return { head, rest: buffered };
    }
  }
}

function parseHead(text: string): ResponseHead {
  const [statusLine = "", ...fields] = text.split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (!match) throw new HttpFramingError(`the status line is ${JSON.stringify(statusLine.slice(0, 60))}`);
  const headers = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(":");
    // A field without a name, or folded onto several lines (obsolete, refused by RFC 9112).
    if (colon <= 0 || field.startsWith(" ") || field.startsWith("\t")) {
      throw new HttpFramingError(`the header line ${JSON.stringify(field.slice(0, 60))}`);
    }
    const name = field.slice(0, colon).trim().toLowerCase();
    const value = field.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status: Number(match[1]), headers };
}

/** The body's bytes as they come, its framing removed. */
export interface BodyDecoder {
  /**
   * The body bytes these bytes held, and whether the body is complete. It takes `bytes` over: the
   * body it gives back may be `bytes` itself, rewritten in place (a socket's read is not reused).
   */
  push(bytes: Buffer): { bytes: Buffer; done: boolean };
  readonly done: boolean;
  /** The connection has ended: throws if the body was not complete. */
  end(): void;
}

/** How the answer's body is delimited (RFC 9112 section 6.3). */
export function bodyDecoder(method: string, head: ResponseHead): BodyDecoder {
  if (method === "HEAD" || head.status === 204 || head.status === 304) return new LengthDecoder(0);
  const coding = head.headers.get("transfer-encoding");
  if (coding !== undefined) {
    if (/(?:^|,)\s*chunked\s*$/i.test(coding)) return new ChunkedDecoder();
    return new CloseDecoder(); // another coding last: the body runs to the connection's end
  }
  const length = head.headers.get("content-length");
  if (length !== undefined) {
    // Several equal values are allowed ("5, 5"); anything else is an error.
    const values = new Set(length.split(",").map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !only || !/^\d{1,15}$/.test(only)) throw new HttpFramingError(`content-length ${JSON.stringify(length)}`);
    return new LengthDecoder(Number(only));
  }
  return new CloseDecoder();
}

const closedEarly = () => Object.assign(new Error("the connection closed before the answer's end"), { code: "ECONNRESET" });

class LengthDecoder implements BodyDecoder {
  constructor(private remaining: number) {}
  get done(): boolean {
    return this.remaining === 0;
  }
  push(bytes: Buffer) {
    const take = Math.min(this.remaining, bytes.length);
    this.remaining -= take;
    return { bytes: bytes.subarray(0, take), done: this.remaining === 0 };
  }
  end(): void {
    if (this.remaining > 0) throw closedEarly();
  }
}

class CloseDecoder implements BodyDecoder {
  readonly done = false;
  push(bytes: Buffer) {
    return { bytes, done: false };
  }
  end(): void {}
}

const LF = 0x0a;
const CR = 0x0d;
/** Each byte's value as a hex digit, or -1. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) HEX["0123456789abcdef".charCodeAt(i)] = HEX["0123456789ABCDEF".charCodeAt(i)] = i;

/** `Transfer-Encoding: chunked`: hex size line, that many bytes, CRLF; a zero size, trailer lines, a blank line. */
export class ChunkedDecoder implements BodyDecoder {
  #state: "size" | "data" | "data-end" | "trailer" | "done" = "size";
  /** Bytes left of the chunk being read. */
  #remaining = 0;
  /** The start of a size or trailer line that an earlier read cut. */
  #line = "";
  /** In "data-end": the CR was seen. */
  #sawCr = false;

  get done(): boolean {
    return this.#state === "done";
  }

  push(bytes: Buffer): { bytes: Buffer; done: boolean } {
    // Each chunk's data is moved down over the framing before it, in place: the body of a read
    // holding hundreds of events comes out as one buffer, for one native copy per chunk.
    let out = 0;
    let pos = 0;
    while (pos < bytes.length && this.#state !== "done") {
      switch (this.#state) {
        case "data": {
          const take = Math.min(this.#remaining, bytes.length - pos);
          if (out !== pos) bytes.copyWithin(out, pos, pos + take);
          out += take;
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = "data-end";
          break;
        }
        case "data-end": {
          // The usual case in one step: CRLF, then a size line held whole by this read.
          if (bytes[pos] === CR && bytes[pos + 1] === LF && !this.#sawCr) {
            const next = this.#sizeAt(bytes, pos + 2);
            if (next !== -1) {
              pos = next;
              break;
            }
          }
          const byte = bytes[pos++];
          if (byte === CR && !this.#sawCr) this.#sawCr = true;
          else if (byte === LF) {
            this.#sawCr = false;
            this.#state = "size";
          } else throw new HttpFramingError("a chunk longer than its size");
          break;
        }
        default: {
          if (this.#state === "size" && this.#line === "") {
            const next = this.#sizeAt(bytes, pos);
            if (next !== -1) {
              pos = next;
              break;
            }
          }
          // "size" or "trailer": a line, perhaps begun in an earlier read.
          const lf = bytes.indexOf(LF, pos);
          const stop = lf === -1 ? bytes.length : lf;
          if (this.#line.length + (stop - pos) > LINE_LIMIT) throw new HttpFramingError(`a chunk line longer than ${LINE_LIMIT} bytes`);
          this.#line += bytes.toString("latin1", pos, stop);
          pos = stop;
          if (lf === -1) break;
          pos++;
          const line = this.#line.endsWith("\r") ? this.#line.slice(0, -1) : this.#line;
          this.#line = "";
          if (this.#state === "trailer") {
            if (line === "") this.#state = "done";
          } else this.#size(line);
        }
      }
    }
    return { bytes: bytes.subarray(0, out), done: this.#state === "done" };
  }

  /**
   * A plain size line ("1a2\r\n", no extension) read straight from the bytes at `pos`: where the
   * data starts, or -1 when it is not one (cut by the read's end, an extension): the general path
   * reads it then.
   */
  #sizeAt(bytes: Buffer, pos: number): number {
    let size = 0;
    let i = pos;
    for (; i < bytes.length && i - pos <= 12; i++) {
      const digit = HEX[bytes[i] as number] as number;
      if (digit === -1) break;
      size = size * 16 + digit;
    }
    if (i === pos || i - pos > 12 || bytes[i] !== CR || bytes[i + 1] !== LF) return -1;
    this.#remaining = size;
    this.#state = size === 0 ? "trailer" : "data";
    return i + 2;
  }

  #size(line: string): void {
    // Chunk extensions (";name=value") carry nothing this client uses.
    const match = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
    if (!match) throw new HttpFramingError(`the chunk size line ${JSON.stringify(line.slice(0, 40))}`);
    this.#remaining = Number.parseInt(match[1] as string, 16);
    this.#state = this.#remaining === 0 ? "trailer" : "data";
  }

  end(): void {
    if (this.#state !== "done") throw closedEarly();
  }
}
