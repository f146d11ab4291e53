import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { LineDecoder } from "../../src/opencode/transport/line-decoder.js";
import { readNdjsonLines } from "../../src/opencode/transport/ndjson.js";
import { readSseData } from "../../src/opencode/transport/sse.js";
import { cutAt } from "../support/chunks.js";
import { recordingBytes, recordingPath } from "../support/recordings.js";

// ---------------------------------------------------------------------------------------------
// Helpers: turn bytes into chunked async streams and collect what the decoders yield.

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

async function* streamOf(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** Every way of cutting `bytes` into two chunks, including an empty first or last chunk. */
function everyTwoWaySplit(bytes: Uint8Array): Uint8Array[][] {
  return Array.from({ length: bytes.length + 1 }, (_, i) => cutAt(bytes, [i]));
}

function oneByteAtATime(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

function inChunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

async function collect(items: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const ndjson = (chunks: Uint8Array[]): Promise<string[]> => collect(readNdjsonLines(streamOf(chunks)));

async function sse(chunks: Uint8Array[]): Promise<{ data: string[]; comments: number }> {
  let comments = 0;
  const data = await collect(readSseData(streamOf(chunks), () => comments++));
  return { data, comments };
}

/** Asserts that `decode` gives `expected` however the bytes are chunked. */
async function assertChunkingIrrelevant<T>(bytes: Uint8Array, decode: (chunks: Uint8Array[]) => Promise<T>, expected: T): Promise<void> {
  assert.deepEqual(await decode([bytes]), expected, "whole stream in one chunk");
  for (const chunks of everyTwoWaySplit(bytes)) {
    assert.deepEqual(await decode(chunks), expected, `split after byte ${chunks[0]?.length}`);
  }
  assert.deepEqual(await decode(oneByteAtATime(bytes)), expected, "one byte at a time");
}

// fast-check builds records without a prototype by default; JSON.parse gives plain objects.
const plainObject = { noNullPrototype: true } as const;

// Text that exercises 1-, 2-, 3- and 4-byte UTF-8 sequences.
const MIXED_TEXT = "ascii, é, €, 😀, 漢字, 한국어";

// ---------------------------------------------------------------------------------------------

describe("LineDecoder", () => {
  test("splits on \\n, drops a \\r before it, keeps the unterminated tail for flush()", () => {
    const decoder = new LineDecoder();
    assert.deepEqual(decoder.push(encode("a\r\nb\n\nc")), ["a", "b", ""]);
    assert.deepEqual(decoder.push(encode("d")), []);
    assert.deepEqual(decoder.flush(), ["cd"]);
    assert.deepEqual(decoder.flush(), [], "flush() empties the decoder");
  });

  test("\\r and \\n in different chunks still make one line ending", () => {
    const decoder = new LineDecoder();
    assert.deepEqual(decoder.push(encode("x\r")), []);
    assert.deepEqual(decoder.push(encode("\ny")), ["x"]);
    assert.deepEqual(decoder.flush(), ["y"]);
  });

  test("a lone \\r inside a line is kept; one at the very end is dropped", () => {
    const decoder = new LineDecoder();
    assert.deepEqual(decoder.push(encode("a\rb\n")), ["a\rb"]);
    assert.deepEqual(decoder.push(encode("tail\r")), []);
    assert.deepEqual(decoder.flush(), ["tail"]);
  });

  test("flush() returns nothing for an empty or fully terminated stream", () => {
    assert.deepEqual(new LineDecoder().flush(), []);
    const decoder = new LineDecoder();
    assert.deepEqual(decoder.push(encode("done\n")), ["done"]);
    assert.deepEqual(decoder.flush(), []);
  });

  test("a multi-byte character cut between chunks is decoded whole", () => {
    const bytes = encode("😀\n");
    const decoder = new LineDecoder();
    assert.deepEqual(decoder.push(bytes.subarray(0, 2)), []);
    assert.deepEqual(decoder.push(bytes.subarray(2)), ["😀"]);
  });

  test("invalid or truncated UTF-8 becomes U+FFFD instead of throwing", () => {
    const decoder = new LineDecoder();
    assert.deepEqual(decoder.push(new Uint8Array([0x61, 0xff, 0x62, 0x0a])), ["a\uFFFDb"]);
    assert.deepEqual(decoder.push(encode("€").subarray(0, 2)), []);
    assert.deepEqual(decoder.flush(), ["\uFFFD"]);
  });

  test("a BOM is dropped at the start of the stream only", () => {
    const decoder = new LineDecoder();
    assert.deepEqual(decoder.push(encode("\uFEFFa\n\uFEFFb\n")), ["a", "\uFEFFb"]);
  });
});

describe("readNdjsonLines", () => {
  const lines = [
    JSON.stringify({ type: "ascii", text: "plain" }),
    JSON.stringify({ type: "unicode", text: MIXED_TEXT }),
    JSON.stringify({ type: "escaped", text: "line\nbreak\r\n and \u2028" }),
    JSON.stringify({ type: "last", text: "no newline at the end 😀" }),
  ];
  // CRLF and LF endings, blank and whitespace-only lines, no newline after the last line.
  const sample = `${lines[0]}\r\n\n${lines[1]}\n \t \r\n\r\n${lines[2]}\r\n${lines[3]}`;

  test("yields each non-blank line, however the bytes are chunked", async () => {
    await assertChunkingIrrelevant(encode(sample), ndjson, lines);
  });

  test("an empty stream yields nothing", async () => {
    assert.deepEqual(await ndjson([]), []);
    assert.deepEqual(await ndjson([new Uint8Array(0), encode("\r\n\n")]), []);
  });

  test("property: arbitrary JSON payloads come back exactly, under arbitrary splits", async () => {
    const record = fc.record({
      payload: fc.record({ type: fc.string(), text: fc.string({ unit: "binary" }) }, plainObject),
      ending: fc.constantFrom("\n", "\r\n"),
      blankAfter: fc.constantFrom("", "\n", "\r\n", " \n", "\t\r\n"),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (records, endWithNewline, cuts) => {
          const text = records
            .map((r, i) => {
              const isLast = i === records.length - 1;
              const ending = isLast && !endWithNewline ? "" : r.ending + r.blankAfter;
              return JSON.stringify(r.payload) + ending;
            })
            .join("");
          const got = await ndjson(cutAt(encode(text), cuts));
          assert.deepEqual(
            got.map((line) => JSON.parse(line)),
            records.map((r) => r.payload),
          );
        },
      ),
    );
  });

  test("property: any bytes at all (even invalid UTF-8) decode the same under any split", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 12 }), async (bytes, cuts) => {
        assert.deepEqual(await ndjson(cutAt(bytes, cuts)), await ndjson([bytes]));
      }),
    );
  });
});

describe("readSseData", () => {
  const frame = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
  const connected = { type: "server.connected", properties: {} };
  const delta = { type: "message.part.delta", properties: { delta: MIXED_TEXT } };
  const sample = [
    ": hello\n\n", // a comment, and a blank line with no event pending: nothing to dispatch
    frame(connected), // exactly how OpenCode frames its events
    `data: first line ${MIXED_TEXT}\r\ndata: second line\r\n\r\n`, // multi-line data, CRLF
    "event: message\nid: 7\nretry: 1000\ndata:no space after the colon\n\n", // other fields
    ": ping\r\r", // a comment, CR line endings
    "data: cr only 漢字\rdata:  two spaces: one is kept\r\r", // CR line endings
    "data\n\n", // a field with no colon: empty data
    frame(delta),
    "data: unfinished: no blank line before the end of the stream\n",
  ].join("");
  const expected = {
    data: [
      JSON.stringify(connected),
      `first line ${MIXED_TEXT}\nsecond line`,
      "no space after the colon",
      "cr only 漢字\n two spaces: one is kept",
      "",
      JSON.stringify(delta),
    ],
    comments: 2,
  };

  test("yields each event's data, however the bytes are chunked", async () => {
    await assertChunkingIrrelevant(encode(sample), sse, expected);
  });

  test("an event whose blank line is the stream's final \\r is still dispatched", async () => {
    await assertChunkingIrrelevant(encode("data: a\rdata: b\r\r"), sse, { data: ["a\nb"], comments: 0 });
  });

  test("a BOM at the start of the stream is skipped", async () => {
    await assertChunkingIrrelevant(encode(`\uFEFF${frame(connected)}`), sse, {
      data: [JSON.stringify(connected)],
      comments: 0,
    });
  });

  test("works without an onComment callback", async () => {
    const data = await collect(readSseData(streamOf([encode(`: ping\n\n${frame(connected)}`)])));
    assert.deepEqual(data, [JSON.stringify(connected)]);
  });

  test("property: OpenCode-style frames with arbitrary unicode come back exactly", async () => {
    const payload = fc.record(
      {
        type: fc.string({ unit: "grapheme" }),
        properties: fc.record({ text: fc.string({ unit: "binary" }) }, plainObject),
      },
      plainObject,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), async (payloads, cuts) => {
        const { data } = await sse(cutAt(encode(payloads.map(frame).join("")), cuts));
        assert.deepEqual(
          data.map((d) => JSON.parse(d)),
          payloads,
        );
      }),
    );
  });

  test("property: multi-line events, comments and every line ending, under arbitrary splits", async () => {
    const dataLine = fc.string({ unit: "binary" }).map((s) => s.replace(/[\r\n]/g, ""));
    const event = fc.record({
      lines: fc.array(dataLine, { minLength: 1, maxLength: 3 }),
      // One ending per event: "\r" followed by a "\n" blank line would read as a single CRLF.
      ending: fc.constantFrom("\n", "\r\n", "\r"),
      commentFirst: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), async (events, cuts) => {
        const text = events
          .map(({ lines, ending, commentFirst }) => {
            const comment = commentFirst ? `: keep-alive${ending}` : "";
            return comment + lines.map((line) => `data: ${line}${ending}`).join("") + ending;
          })
          .join("");
        assert.deepEqual(await sse(cutAt(encode(text), cuts)), {
          data: events.map((e) => e.lines.join("\n")),
          comments: events.filter((e) => e.commentFirst).length,
        });
      }),
    );
  });

  test("property: any bytes at all decode the same under any split", async () => {
    // Built from SSE-significant pieces plus raw bytes, so that splits land in interesting places.
    const piece = fc.oneof(
      fc.constantFrom("data: ", "data:", ": c", "\r", "\n", "\r\n", "é", "😀", "event: x", "id: 1"),
      fc.string({ unit: "binary", maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(piece.map(encode), fc.uint8Array({ maxLength: 3 })), { maxLength: 24 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (parts, cuts) => {
          const bytes = Uint8Array.from(parts.flatMap((p) => [...p]));
          assert.deepEqual(await sse(cutAt(bytes, cuts)), await sse([bytes]));
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The real thing: a stream recorded from `opencode serve` (test/fixtures/recordings).

describe("recorded OpenCode stream", () => {
  test("events-text.sse: every event's data is JSON with a type, however it is chunked", async () => {
    const file = recordingPath("events-text.sse");
    const bytes = recordingBytes("events-text.sse");
    const frames = new TextDecoder().decode(bytes).match(/^data: /gm)?.length ?? 0;

    const { data } = await sse([bytes]);
    assert.ok(frames > 0, `${file} holds no "data: " frames`);
    assert.equal(data.length, frames, "one event per data frame");
    for (const item of data) {
      const event: unknown = JSON.parse(item);
      assert.ok(
        typeof event === "object" && event !== null && "type" in event && typeof event.type === "string",
        `event without a string type: ${item.slice(0, 200)}`,
      );
    }
    for (const size of [1, 3, 7, 64, 1000]) {
      assert.deepEqual((await sse(inChunksOf(bytes, size))).data, data, `chunks of ${size} bytes`);
    }
  });
});
