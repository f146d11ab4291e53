// The socket HTTP/1.1 client of the streams (src/opencode/transport/http1.ts): its chunked
// decoder and head reader on bytes cut anywhere, and whole requests against loopback servers:
// node:http's (chunked, content-length), a raw socket's (close-delimited, cut mid-chunk,
// not HTTP at all), a refused port, an abort mid-stream.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import type { HttpResponse } from "../../src/opencode/transport/http.js";
import { bodyDecoder, ChunkedDecoder, HeadReader, HttpFramingError, socketHttp } from "../../src/opencode/transport/http1.js";
import { cutAt } from "../support/chunks.js";

/** A self-signed certificate for 127.0.0.1 and localhost (valid until 2126), with its key beside it: test-only. */
const CERT = new URL("../fixtures/tls/localhost.crt", import.meta.url);

/** `body` in chunked encoding, cut into chunks of the given sizes, with extensions and a trailer when asked. */
function chunked(body: Buffer, sizes: number[], options: { extensions?: boolean; trailer?: boolean; upper?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= body.length) break;
    const piece = body.subarray(at, at + Math.max(1, size));
    at += piece.length;
    const hex = piece.length.toString(16);
    parts.push(
      Buffer.from(`${options.upper ? hex.toUpperCase() : hex}${options.extensions ? ";name=value" : ""}\r\n`),
      piece,
      Buffer.from("\r\n"),
    );
  }
  if (at < body.length) parts.push(Buffer.from(`${(body.length - at).toString(16)}\r\n`), body.subarray(at), Buffer.from("\r\n"));
  parts.push(Buffer.from(`0\r\n${options.trailer ? "x-checksum: 1\r\n" : ""}\r\n`));
  return Buffer.concat(parts);
}

function decodeAll(encoded: Uint8Array[]): { body: Buffer; done: boolean } {
  const decoder = new ChunkedDecoder();
  const pieces: Buffer[] = [];
  let done = false;
  for (const bytes of encoded) {
    const out = decoder.push(Buffer.from(bytes));
    pieces.push(Buffer.from(out.bytes));
    done = out.done;
  }
  return { body: Buffer.concat(pieces), done };
}

describe("chunked decoding", () => {
  test("gives the body back, whatever the chunk sizes, extensions, trailers and cuts", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.record({ extensions: fc.boolean(), trailer: fc.boolean(), upper: fc.boolean() }),
        (raw, sizes, cuts, options) => {
          const body = Buffer.from(raw);
          const { body: decoded, done } = decodeAll(cutAt(chunked(body, sizes, options), cuts));
          assert.equal(done, true);
          assert.deepEqual(decoded, body);
        },
      ),
    );
  });

  test("a read holding many chunks gives their bytes as one buffer, in order, and nothing of the framing", () => {
    const events = Array.from({ length: 50 }, (_, i) => `data: {"n":${i}}\n\n`);
    const encoded = Buffer.concat(events.map((e) => Buffer.from(`${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`)));
    const { bytes, done } = new ChunkedDecoder().push(encoded);
    assert.equal(done, false, "no last chunk yet");
    assert.equal(bytes.toString(), events.join(""));
  });

  test("bytes that are not chunked encoding are an error that says so", () => {
    for (const bad of ["zz\r\nabc\r\n", "3\r\nabcdef\r\n", "-1\r\n", `${"f".repeat(13)}\r\n`, `${"1".repeat(9000)}`]) {
      assert.throws(() => new ChunkedDecoder().push(Buffer.from(bad)), HttpFramingError, bad.slice(0, 20));
    }
    assert.throws(() => new ChunkedDecoder().push(Buffer.from("3\r\nabcdef\r\n")), /not valid HTTP\/1\.1: a chunk longer than its size/);
  });

  test("a connection ending before the last chunk is an error; after it, not", () => {
    const cut = new ChunkedDecoder();
    cut.push(Buffer.from("5\r\nabc"));
    assert.throws(() => cut.end(), /closed before the answer's end/);
    const whole = new ChunkedDecoder();
    whole.push(Buffer.from("3\r\nabc\r\n0\r\n\r\n"));
    assert.equal(whole.done, true);
    whole.end();
  });
});

describe("the answer's head", () => {
  const text =
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 2\r\n\r\n{}";

  test("is read whatever the cuts; 1xx heads are passed over; repeated fields are joined", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), (cuts) => {
        const reader = new HeadReader();
        let result: ReturnType<HeadReader["push"]>;
        const rest: Buffer[] = [];
        for (const chunk of cutAt(Buffer.from(text), cuts)) {
          if (result) rest.push(Buffer.from(chunk));
          else result = reader.push(Buffer.from(chunk));
        }
        assert.ok(result);
        assert.equal(result.head.status, 401);
        assert.equal(result.head.headers.get("content-type"), "application/json");
        assert.equal(result.head.headers.get("set-cookie"), "a=1, b=2");
        assert.equal(Buffer.concat([result.rest, ...rest]).toString(), "{}");
      }),
    );
  });

  test("what is not an HTTP/1.x head is an error that says what it got", () => {
    assert.throws(() => new HeadReader().push(Buffer.from("SSH-2.0-OpenSSH_9.6\r\n\r\n")), /the status line is "SSH-2.0-OpenSSH_9.6"/);
    assert.throws(() => new HeadReader().push(Buffer.from("HTTP/1.1 200 OK\r\n folded\r\n\r\n")), /the header line/);
    assert.throws(() => new HeadReader().push(Buffer.alloc(70 * 1024, 0x61)), /no end of the headers/);
  });

  test("the body's framing follows RFC 9112: no body, a length, chunked, or up to the close", () => {
    const head = (status: number, fields: Record<string, string>) => ({ status, headers: new Map(Object.entries(fields)) });
    assert.equal(bodyDecoder("GET", head(204, { "content-length": "10" })).done, true);
    assert.equal(bodyDecoder("GET", head(200, { "content-length": "0" })).done, true);
    assert.equal(
      bodyDecoder("GET", head(200, { "content-length": "3, 3" }))
        .push(Buffer.from("abcdef"))
        .bytes.toString(),
      "abc",
    );
    assert.throws(() => bodyDecoder("GET", head(200, { "content-length": "3, 4" })), /content-length "3, 4"/);
    assert.ok(bodyDecoder("GET", head(200, { "transfer-encoding": "gzip, chunked", "content-length": "3" })) instanceof ChunkedDecoder);
    const toClose = bodyDecoder("GET", head(200, {}));
    assert.equal(toClose.push(Buffer.from("anything")).bytes.toString(), "anything");
    toClose.end(); // the close ends it: not an error
  });
});

describe("requests on a socket of their own", () => {
  const servers: Array<Server | ReturnType<typeof createNetServer> | ReturnType<typeof createHttpsServer>> = [];
  after(() => {
    for (const server of servers) server.close();
  });

  async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createHttpServer(handler);
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A server that answers each connection with `reply` (raw bytes), after reading the request's head. */
  async function rawServer(reply: (socket: Socket) => void): Promise<string> {
    const server = createNetServer((socket) => {
      socket.once("data", () => reply(socket));
      socket.on("error", () => {});
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const get = (url: string, signal = new AbortController().signal, extra: Partial<Parameters<typeof socketHttp>[1]> = {}) =>
    socketHttp(url, { method: "GET", headers: { accept: "*/*", authorization: "Basic b3BlbmNvZGU6cw==" }, signal, ...extra });

  async function chunksOf(response: HttpResponse): Promise<string[]> {
    const chunks: string[] = [];
    await response.eachChunk((chunk) => chunks.push(Buffer.from(chunk).toString()));
    return chunks;
  }

  test("a stream written an event at a time arrives whole, in few reads, with its headers; the request carried ours", async () => {
    let seen: IncomingMessage | undefined;
    const events = Array.from({ length: 500 }, (_, i) => `data: {"type":"n","properties":{"i":${i}}}\n\n`);
    const url = await httpServer((req, res) => {
      seen = req;
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const e of events) res.write(e);
      res.end();
    });
    const response = await get(`${url}/event?directory=%2Ftmp%2Fa%20b`);
    assert.equal(response.status, 200);
    assert.equal(response.header("Content-Type"), "text/event-stream");
    const chunks = await chunksOf(response);
    assert.equal(chunks.join(""), events.join(""));
    assert.ok(chunks.length < events.length, `${chunks.length} reads for ${events.length} chunks`);
    assert.equal(seen?.url, "/event?directory=%2Ftmp%2Fa%20b");
    assert.equal(seen?.headers.authorization, "Basic b3BlbmNvZGU6cw==");
    assert.equal(seen?.headers.connection, "close");
  });

  test("a POST carries its body with its length; an error answer's body reads as text", async () => {
    let received = "";
    const url = await httpServer((req, res) => {
      req.setEncoding("utf8");
      req.on("data", (d: string) => {
        received += d;
      });
      req.on("end", () => {
        res.writeHead(401, { "content-type": "application/json" });
        res.end('{"name":"Unauthorized","message":"wrong password ✗"}');
      });
    });
    const response = await socketHttp(`${url}/session/x/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"text":"héllo"}',
      signal: new AbortController().signal,
    });
    assert.equal(response.status, 401);
    assert.equal(response.ok, false);
    assert.equal(await response.text(), '{"name":"Unauthorized","message":"wrong password ✗"}');
    assert.equal(received, '{"text":"héllo"}');
  });

  test("a body delimited by the connection's close (HTTP/1.0 style) is read to the end", async () => {
    const url = await rawServer((socket) => socket.end('HTTP/1.0 200 OK\r\nContent-Type: application/x-ndjson\r\n\r\n{"a":1}\n{"b":2}\n'));
    const response = await get(url);
    assert.deepEqual((await chunksOf(response)).join(""), '{"a":1}\n{"b":2}\n');
  });

  test("a connection cut in the middle of a chunk ends the stream with an error, after the bytes that came", async () => {
    const url = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
      socket.write("a\r\ndata: {}\n\n\r\n");
      setTimeout(() => socket.end('20\r\ndata: {"cut'), 20);
    });
    const response = await get(url);
    const chunks: string[] = [];
    await assert.rejects(
      response.eachChunk((chunk) => chunks.push(Buffer.from(chunk).toString())),
      /closed before the answer's end/,
    );
    assert.equal(chunks.join(""), 'data: {}\n\ndata: {"cut');
  });

  test("an answer that is not HTTP, a refused port, a closed connection: errors a person can act on", async () => {
    const ssh = await rawServer((socket) => socket.end("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
    await assert.rejects(get(ssh), /not valid HTTP\/1\.1: the status line is "SSH-2\.0-OpenSSH_9\.6"/);
    const lengths = await rawServer((socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabc"));
    await assert.rejects(get(lengths), /not valid HTTP\/1\.1: content-length "3, 4"/);
    const silent = await rawServer((socket) => socket.end());
    await assert.rejects(
      get(silent),
      (error: NodeJS.ErrnoException) => error.code === "ECONNRESET" && /before the answer's headers/.test(error.message),
    );
    const closed = createNetServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await assert.rejects(get(`http://127.0.0.1:${port}/event`), { code: "ECONNREFUSED" });
  });

  test("an abort before the headers rejects with its reason; during the body, it ends the reading with it", async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: {}\n\n");
    });
    const early = new AbortController();
    early.abort(new Error("stopped early"));
    await assert.rejects(get(url, early.signal), /stopped early/);
    const late = new AbortController();
    const response = await get(url, late.signal);
    const reading = response.eachChunk(() => late.abort(new Error("stopped mid-stream")));
    await assert.rejects(reading, /stopped mid-stream/);
  });

  test("https: an untrusted certificate is refused before anything is sent; a trusted one carries the stream", async () => {
    const tls = { key: readFileSync(new URL("../fixtures/tls/localhost.key", import.meta.url)), cert: readFileSync(CERT) };
    let requests = 0;
    const server = createHttpsServer(tls, (_req, res) => {
      requests++;
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < 3; i++) res.write(`data: {"i":${i}}\n\n`);
      res.end();
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/event`;
    await assert.rejects(get(url), (error: NodeJS.ErrnoException) => /self[- ]signed/i.test(error.message));
    assert.equal(requests, 0);
    // Trusted the way a person would trust it: NODE_EXTRA_CA_CERTS, read by Node at start.
    const script = `import { socketHttp } from ${JSON.stringify(new URL("../../src/opencode/transport/http1.ts", import.meta.url).href)};
const response = await socketHttp(${JSON.stringify(url)}, { method: "GET", headers: {}, signal: new AbortController().signal });
let body = ""; await response.eachChunk((c) => { body += Buffer.from(c).toString(); });
process.stdout.write(JSON.stringify({ status: response.status, body }));`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: fileURLToPath(CERT) },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d;
    });
    const [code] = await once(child, "exit");
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(out), { status: 200, body: 'data: {"i":0}\n\ndata: {"i":1}\n\ndata: {"i":2}\n\n' });
    assert.equal(requests, 1);
  });

  test("a header value with a line break is refused before anything is sent", async () => {
    await assert.rejects(get("http://127.0.0.1:9/", undefined, { headers: { authorization: "Basic x\r\nx-injected: 1" } }), /line break/);
  });
});
