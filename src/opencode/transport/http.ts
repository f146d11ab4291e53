import type { IncomingMessage, RequestOptions } from "node:http";
import { request as httpRequest } from "node:http";
import type { Readable } from "node:stream";

/**
 * HTTP for the OpenCode client, on node:http rather than `fetch`. Node 20's `fetch` is undici,
 * compiled on its first call: measured as a whole process, `fetch` of one health check cost
 * about 4× the CPU of the same request through node:http (0.25 s against 0.064 s), time every
 * `pocketpaw ask` spent before its prompt could leave. This is the little of `fetch` the client
 * uses: status, headers, the body as text or as it arrives, cancel, an AbortSignal.
 */
export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  /** A header's value (names in any case), or null. */
  header(name: string): string | null;
  /** The body as it arrives; it ends with an error when the request's signal aborts. */
  readonly body: AsyncIterable<Uint8Array>;
  /**
   * The same, chunk by chunk to `onChunk`, called synchronously as each arrives (no promise per
   * chunk, unlike iterating `body`: what the event stream's reader wants); resolves at the end.
   */
  eachChunk(onChunk: (chunk: Uint8Array) => void): Promise<void>;
  /** The whole body, as UTF-8 text. */
  text(): Promise<string>;
  /** Stops reading the body and lets the connection go. */
  cancel(): void;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** Sends a request; resolves once the answer's headers are in, rejects when it cannot be sent or is aborted. */
export type HttpSend = (url: string, init: HttpRequest) => Promise<HttpResponse>;

/** HTTP/1.1 with keep-alive (Node's global agents): one connection reused for a run's calls. */
export const nodeHttp: HttpSend = async (url, init) => {
  const target = new URL(url);
  // https only when asked for: loading TLS costs a plain-HTTP start nothing.
  const request = target.protocol === "https:" ? (await import("node:https")).request : httpRequest;
  const options: RequestOptions = { method: init.method, headers: { ...init.headers }, signal: init.signal };
  if (init.body !== undefined) (options.headers as Record<string, string>)["content-length"] = String(Buffer.byteLength(init.body));
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = request(target, options, (res) => resolve(fromIncoming(res, init.signal)));
    req.once("error", reject);
    req.end(init.body);
  });
};

function fromIncoming(res: IncomingMessage, signal: AbortSignal): HttpResponse {
  // After the headers the request's signal no longer reaches the body by itself.
  const onAbort = () => res.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  signal.addEventListener("abort", onAbort, { once: true });
  res.once("close", () => signal.removeEventListener("abort", onAbort));
  return responseOf(
    res.statusCode ?? 0,
    (name) => {
      const value = res.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
    res,
  );
}

/** An answer whose body is a Node stream (node:http's, or http1.ts's). */
export function responseOf(status: number, header: (name: string) => string | null, body: Readable): HttpResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    header,
    body,
    eachChunk: (onChunk) =>
      new Promise<void>((resolve, reject) => {
        body.on("data", (chunk: Uint8Array) => {
          try {
            onChunk(chunk);
          } catch (error) {
            // As from a loop over the body: the reading stops and the caller gets the error.
            body.destroy(error instanceof Error ? error : new Error(String(error)));
          }
        });
        body.once("end", resolve);
        body.once("error", reject);
        // Closed before its end without an error (the connection cut): an error too.
        body.once("close", () => {
          if (!body.readableEnded) reject(body.errored ?? new Error("the connection closed before the answer's end"));
        });
      }),
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      // TextDecoder, as fetch's text() does: a byte-order mark is dropped, bad bytes become U+FFFD.
      return new TextDecoder().decode(Buffer.concat(chunks));
    },
    cancel: () => body.destroy(),
  };
}

/** The same over a `fetch` (tests put a fetch of their own between the client and the server). */
export function viaFetch(fetchImpl: typeof fetch): HttpSend {
  return async (url, init) => {
    const response = await fetchImpl(url, init);
    const body = response.body;
    return {
      status: response.status,
      ok: response.ok,
      header: (name) => response.headers.get(name),
      body: (body ?? []) as AsyncIterable<Uint8Array>,
      async eachChunk(onChunk) {
        for await (const chunk of (body ?? []) as AsyncIterable<Uint8Array>) onChunk(chunk);
      },
      text: () => response.text(),
      cancel: () => void body?.cancel().catch(() => {}),
    };
  };
}
