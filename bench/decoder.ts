// Why sse.ts splits SSE by hand: the cost per event of decoding plus `JSON.parse`, in process
// (no network), for pocketpaw's SseDecoder against eventsource-parser over a streaming
// TextDecoder (what sse.ts used before), on the benchmark stream in 64 KiB chunks and one
// chunk per event.

import { createParser } from "eventsource-parser";
import { SseDecoder } from "../src/opencode/transport/sse.js";
import { turnFrames } from "./opencode-stream.js";
import { median } from "./report.js";

interface Decoder {
  push(chunk: Uint8Array): string[];
}

class EventSourceParserDecoder implements Decoder {
  private readonly text = new TextDecoder();
  private ready: string[] = [];
  private readonly parser = createParser({ onEvent: (event) => this.ready.push(event.data) });
  push(chunk: Uint8Array): string[] {
    this.parser.feed(this.text.decode(chunk, { stream: true }));
    const ready = this.ready;
    this.ready = [];
    return ready;
  }
}

const DECODERS: Record<string, () => Decoder> = {
  "eventsource-parser + TextDecoder": () => new EventSourceParserDecoder(),
  "SseDecoder (sse.ts)": () => new SseDecoder(),
};

/** Microseconds per event, median of `rounds`, for each decoder and chunking. */
export function decoderCost(rounds = 5): Array<{ chunking: string; decoder: string; microseconds: number }> {
  const frames = [
    ...turnFrames({
      sessionId: "ses_bench0000000000000000000c",
      userMessageId: "msg_000000000000PLACEHOLDERxyz",
      steps: 50,
      deltasPerStep: 2_000,
      noiseEvery: 20,
    }),
  ];
  const bytes = Buffer.from(frames.join(""));
  const chunkings: Record<string, Uint8Array[]> = {
    "64 KiB chunks": Array.from(
      { length: Math.ceil(bytes.length / 65_536) },
      (_, i) => new Uint8Array(bytes.subarray(i * 65_536, (i + 1) * 65_536)),
    ),
    "one chunk per event": frames.map((frame) => new Uint8Array(Buffer.from(frame))),
  };
  const results: Array<{ chunking: string; decoder: string; microseconds: number }> = [];
  for (const [chunking, chunks] of Object.entries(chunkings)) {
    const times = new Map<string, number[]>();
    for (let round = 0; round <= rounds; round++) {
      for (const [name, make] of Object.entries(DECODERS)) {
        const decoder = make();
        let events = 0;
        const started = performance.now();
        for (const chunk of chunks) for (const data of decoder.push(chunk)) events += JSON.parse(data) ? 1 : 0;
        const microseconds = ((performance.now() - started) * 1000) / events;
        if (round > 0) times.set(name, [...(times.get(name) ?? []), microseconds]); // round 0 warms up
      }
    }
    for (const [decoder, t] of times) results.push({ chunking, decoder, microseconds: median(t) });
  }
  return results;
}
