// A fake OpenAI-compatible model for the latency benchmark: it streams `chunks` text chunks
// `c0 `, `c1 `, … one every `intervalMs`, and notes when it wrote each (performance.now(), the
// clock of this process, which also runs the readers). The scripted model (src/opencode/local-server) can't say
// when it wrote a chunk, which is the one thing this benchmark needs.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ClockModel {
  baseURL: string;
  /** Chunk index → when its bytes were handed to the socket. */
  written: Map<number, number>;
  close(): Promise<void>;
}

/** The chunk indexes in a piece of streamed text (`c12 c13 ` → [12, 13]). */
export function chunkIndexes(text: string): number[] {
  return [...text.matchAll(/c(\d+) /g)].map((m) => Number(m[1]));
}

export async function startClockModel(options: { chunks: () => number; intervalMs: number }): Promise<ClockModel> {
  const written = new Map<number, number>();
  let next = 0;
  const answer = async (res: ServerResponse, withTools: boolean) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.socket?.setNoDelay(true);
    let gone = false;
    res.on("close", () => (gone = true));
    const send = (delta: object, finish: string | null = null) => {
      const chunk = {
        id: "chatcmpl-clock",
        object: "chat.completion.chunk",
        created: 0,
        model: "fake-model",
        choices: [{ index: 0, delta, finish_reason: finish }],
      };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    };
    send({ role: "assistant", content: "" });
    // Title requests (no tools) get a short answer at once.
    const count = withTools ? options.chunks() : 0;
    for (let i = 0; i < count && !gone; i++) {
      await new Promise((r) => setTimeout(r, options.intervalMs));
      const index = next++;
      send({ content: `c${index} ` });
      written.set(index, performance.now());
    }
    if (gone) return;
    if (!withTools) send({ content: "Clock title" });
    send({}, "stop");
    res.end("data: [DONE]\n\n");
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      const tools = (JSON.parse(body || "{}") as { tools?: unknown[] }).tools;
      void answer(res, Array.isArray(tools) && tools.length > 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    written,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
