import { LineDecoder } from "./line-decoder.js";

/**
 * Yields each non-blank line of a newline-delimited JSON stream, as text.
 * Parsing is left to the caller, which decides what a malformed payload means.
 */
export async function* readNdjsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new LineDecoder();
  for await (const chunk of body) {
    yield* nonBlank(decoder.push(chunk));
  }
  yield* nonBlank(decoder.flush());
}

function nonBlank(lines: string[]): string[] {
  return lines.filter((line) => line.trim() !== "");
}
