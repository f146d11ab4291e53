/**
 * Follows the HTTP/1.1 responses in a server→client byte stream (status line and headers, then a
 * body framed by chunked encoding or `content-length`) to find where one body chunk ends and the
 * next begins: the places where a proxy can insert a chunk of its own and keep the framing
 * valid, so that what it inserts reaches the client's SSE decoder rather than its HTTP parser.
 */
export class ResponseFraming {
  #state: "head" | "size" | "data" | "data-end" | "trailer" | "length" | "raw" = "head";
  #line = "";
  #head = "";
  #left = 0;

  /** Between two chunks of a chunked body (or at its start). */
  get atChunkBoundary(): boolean {
    return this.#state === "size" && this.#line === "";
  }

  /**
   * Reads `bytes`; returns the offsets in it (1..length) after which the stream is at a chunk
   * boundary.
   */
  boundaries(bytes: Uint8Array): number[] {
    const found: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      switch (this.#state) {
        case "head":
          this.#head += String.fromCharCode(byte);
          if (this.#head.endsWith("\r\n\r\n")) this.#startBody();
          break;
        case "size":
          this.#line += String.fromCharCode(byte);
          if (this.#line.endsWith("\r\n")) {
            const size = Number.parseInt(this.#line.split(";")[0] ?? "", 16);
            this.#line = "";
            if (size > 0) {
              this.#state = "data";
              this.#left = size;
            } else this.#state = "trailer";
          }
          break;
        case "data":
          if (--this.#left === 0) {
            this.#state = "data-end";
            this.#left = 2; // the CRLF after the chunk's data
          }
          break;
        case "data-end":
          if (--this.#left === 0) this.#state = "size";
          break;
        case "trailer":
          this.#line += String.fromCharCode(byte);
          if (this.#line.endsWith("\r\n")) {
            if (this.#line === "\r\n") this.#state = "head";
            this.#line = "";
          }
          break;
        case "length":
          if (--this.#left === 0) this.#state = "head";
          break;
        case "raw":
          break;
      }
      if (this.atChunkBoundary) found.push(i + 1);
    }
    return found;
  }

  #startBody(): void {
    const head = this.#head.toLowerCase();
    this.#head = "";
    const status = Number(/^http\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 200);
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    if (status < 200 || status === 204 || status === 304) this.#state = "head";
    else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) this.#state = "size";
    else if (length) {
      this.#left = Number(length[1]);
      this.#state = this.#left > 0 ? "length" : "head";
    } else this.#state = "raw";
  }
}

/** `bytes` as one chunk of a chunked HTTP body. */
export function asHttpChunk(bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
}
