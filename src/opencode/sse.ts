import { createParser } from "eventsource-parser";

/**
 * Yields the `data` of each Server-Sent Event in a byte stream (several `data:` lines of one
 * event are joined with `\n`, as the SSE spec says). Other fields (`event`, `id`, `retry`) are
 * not needed by OpenCode's `/event` stream and are ignored.
 *
 * `onComment` is called for each comment line (`: ...`); servers send them as keep-alives, so
 * the caller can use them as a sign of life. It runs while a chunk is parsed, i.e. possibly
 * before events that came earlier in the same chunk have been yielded.
 */
export async function* readSseData(
  body: AsyncIterable<Uint8Array>,
  onComment?: () => void,
): AsyncGenerator<string> {
  // One streaming decoder for the whole body: a multi-byte character cut between chunks comes
  // out whole, and a BOM is dropped only at the start of the stream.
  const decoder = new TextDecoder("utf-8");
  const ready: string[] = [];
  const parser = createParser({
    onEvent: (event) => {
      ready.push(event.data);
    },
    onComment: onComment && (() => onComment()),
  });

  // The parser holds back a `\r` at the end of its input, waiting to see whether `\n`
  // follows. If the stream itself ends with that `\r`, it is a line ending all the same.
  let endsWithCr = false;
  const feed = (text: string): void => {
    if (text === "") return;
    parser.feed(text);
    endsWithCr = text.endsWith("\r");
  };

  for await (const chunk of body) {
    feed(decoder.decode(chunk, { stream: true }));
    yield* ready.splice(0);
  }
  feed(decoder.decode());
  // "\r" + "\n" is read as a single line ending, so this completes the held-back `\r` and
  // adds nothing else. An event not ended by a blank line is dropped, as the spec says.
  if (endsWithCr) parser.feed("\n");
  yield* ready.splice(0);
}
