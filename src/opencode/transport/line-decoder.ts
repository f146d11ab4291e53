/**
 * Splits a byte stream into text lines, for NDJSON.
 *
 * Lines end at `\n`; a `\r` right before it is dropped, so `\r\n` works even when the two
 * bytes arrive in different chunks. Decoding uses one streaming TextDecoder for the whole
 * stream, so a multi-byte UTF-8 character cut between chunks comes out whole (and a BOM is
 * dropped only at the very start). Invalid UTF-8 becomes U+FFFD rather than an error: the
 * caller's JSON parsing decides what to do with a damaged line.
 */
export class LineDecoder {
  readonly #decoder = new TextDecoder("utf-8");
  /**
   * Text of the current, unfinished line. Kept as pieces and joined only when the line ends,
   * so a long line fed in many small chunks costs linear time, not quadratic.
   */
  #pending: string[] = [];

  /** Returns the lines completed by this chunk (without their line endings). */
  push(chunk: Uint8Array): string[] {
    return this.#split(this.#decoder.decode(chunk, { stream: true }));
  }

  /** Ends the stream: returns the last line if it had no line ending and is non-empty. */
  flush(): string[] {
    const lines = this.#split(this.#decoder.decode());
    const last = stripCr(this.#pending.join(""));
    this.#pending = [];
    if (last !== "") lines.push(last);
    return lines;
  }

  #split(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    let end = text.indexOf("\n");
    while (end !== -1) {
      const piece = text.slice(start, end);
      // The first line found may continue text from earlier chunks.
      const line = this.#pending.length === 0 ? piece : [...this.#pending.splice(0), piece].join("");
      lines.push(stripCr(line));
      start = end + 1;
      end = text.indexOf("\n", start);
    }
    if (start < text.length) this.#pending.push(text.slice(start));
    return lines;
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
