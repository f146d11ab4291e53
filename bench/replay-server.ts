// A loopback server that replays a generated OpenCode event stream (bench/opencode-stream.ts),
// run in a child process of its own so that producing the bytes never competes with the client
// being measured for its event loop.
//
// It answers what a client needs for one turn: `GET /global/health`, `POST /session`,
// `GET /session/status`, `GET /session/{id}`, `GET /session/{id}/message`, `GET /event`, and
// `POST /session/{id}/prompt_async`, which streams the turn (with the prompt's own `messageID`) to
// the event connections open at that moment. Under the base path `/replay`, `GET /replay/event`
// streams the turn at once (for readers that only read the stream: the SDK, the floor).
// Writes are either 64 KiB slices of the stream (`"64k"`) or one write per event, as OpenCode
// does (`"event"`), each waiting for the socket to drain when it is full.

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CONNECTED_FRAME, emptySummary, type TurnShape, type TurnSummary, turnFrames } from "./opencode-stream.js";

export type WriteMode = "64k" | "event";

export interface ReplayConfig {
  shape: Omit<TurnShape, "userMessageId">;
  mode: WriteMode;
  /** Build the whole stream before listening (fast replays); else generate it while writing. */
  prebuilt: boolean;
}

export interface ReplayServer {
  url: string;
  pid: number;
  /** What the stream holds (for a prebuilt stream, known at start). */
  summary: TurnSummary;
  close(): Promise<void>;
}

const SLICE = 64 * 1024;
/** Same length as the ids pocketpaw makes (`msg_` + 26), so it can be patched in place. */
export const PLACEHOLDER_USER_ID = "msg_000000000000PLACEHOLDERxyz";

/** Starts the server in a child process; resolves once it listens. */
export async function startReplayServer(config: ReplayConfig): Promise<ReplayServer> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<{ port: number; summary: TurnSummary }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the replay server did not start within 60 s")), 60_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    child.once("exit", (code) => reject(new Error(`the replay server exited (code ${code})`)));
  });
  const { port, summary } = await ready;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    summary,
    async close() {
      if (child.exitCode !== null) return;
      child.kill("SIGKILL");
      await once(child, "exit");
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The server itself (when this file is the process's entry point).

interface Prebuilt {
  bytes: Buffer;
  /** Start offset of each frame, and the end. */
  offsets: number[];
  /** Where the placeholder user id sits in `bytes`. */
  userIdAt: number[];
}

function prebuild(shape: TurnShape): { stream: Prebuilt; summary: TurnSummary } {
  const summary = emptySummary();
  const frames = [...turnFrames(shape, summary)];
  const bytes = Buffer.from(frames.join(""));
  const offsets = [0];
  for (const f of frames) offsets.push((offsets.at(-1) ?? 0) + Buffer.byteLength(f));
  const userIdAt: number[] = [];
  for (let i = bytes.indexOf(PLACEHOLDER_USER_ID); i !== -1; i = bytes.indexOf(PLACEHOLDER_USER_ID, i + 1)) userIdAt.push(i);
  return { stream: { bytes, offsets, userIdAt }, summary };
}

async function write(res: ServerResponse, chunk: Buffer | string): Promise<void> {
  if (!res.write(chunk)) await once(res, "drain");
}

async function replayPrebuilt(res: ServerResponse, stream: Prebuilt, mode: WriteMode): Promise<void> {
  const { bytes, offsets } = stream;
  if (mode === "64k") {
    for (let at = 0; at < bytes.length; at += SLICE) await write(res, bytes.subarray(at, at + SLICE));
  } else {
    for (let i = 0; i + 1 < offsets.length; i++) await write(res, bytes.subarray(offsets[i], offsets[i + 1]));
  }
}

async function replayGenerated(res: ServerResponse, shape: TurnShape, mode: WriteMode, summary: TurnSummary): Promise<void> {
  let batch = "";
  for (const frame of turnFrames(shape, summary)) {
    if (mode === "event") {
      await write(res, frame);
      continue;
    }
    batch += frame;
    if (batch.length >= SLICE) {
      await write(res, batch);
      batch = "";
    }
  }
  if (batch) await write(res, batch);
}

async function serve(config: ReplayConfig): Promise<void> {
  const sessionId = config.shape.sessionId;
  let prebuilt: Prebuilt | undefined;
  let summary = emptySummary();
  if (config.prebuilt) ({ stream: prebuilt, summary } = prebuild({ ...config.shape, userMessageId: PLACEHOLDER_USER_ID }));
  const waiting = new Set<ServerResponse>();

  const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  };
  const openStream = (res: ServerResponse) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(CONNECTED_FRAME);
  };
  const streamTurn = async (res: ServerResponse, userMessageId: string) => {
    try {
      if (prebuilt) {
        for (const at of prebuilt.userIdAt) prebuilt.bytes.write(userMessageId, at, "latin1");
        await replayPrebuilt(res, prebuilt, config.mode);
      } else {
        summary = emptySummary();
        await replayGenerated(res, { ...config.shape, userMessageId }, config.mode, summary);
      }
    } catch {
      // The client went away.
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? "/", "http://x");
    const replay = url.pathname.startsWith("/replay/");
    const path = replay ? url.pathname.slice("/replay".length) : url.pathname;
    if (req.method === "GET" && path === "/global/health") return json(res, 200, { healthy: true, version: "bench" });
    if (req.method === "POST" && path === "/session") return json(res, 200, { id: sessionId, title: "bench" });
    if (req.method === "GET" && path === "/session/status") return json(res, 200, {});
    if (req.method === "GET" && path === `/session/${sessionId}`) return json(res, 200, { id: sessionId });
    if (req.method === "GET" && path === `/session/${sessionId}/message`) return json(res, 200, []);
    if (req.method === "GET" && path === "/bench/summary") return json(res, 200, summary);
    if (req.method === "GET" && path === "/event") {
      openStream(res);
      if (replay) {
        await streamTurn(res, PLACEHOLDER_USER_ID);
        res.end();
      } else {
        waiting.add(res);
        res.on("close", () => waiting.delete(res));
      }
      return;
    }
    if (req.method === "POST" && path === `/session/${sessionId}/prompt_async`) {
      const { messageID } = JSON.parse(body) as { messageID?: string };
      if (!messageID || messageID.length !== PLACEHOLDER_USER_ID.length)
        return json(res, 400, { name: "BadRequest", data: { message: "a 30-character messageID is required" } });
      res.writeHead(204).end();
      for (const stream of [...waiting]) {
        waiting.delete(stream);
        void streamTurn(stream, messageID);
      }
      return;
    }
    json(res, 404, { name: "NotFoundError", data: { message: `no route ${req.method} ${path}` } });
  };

  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => void handle(req, res, body));
  });
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ port, summary })}\n`);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await serve(JSON.parse(process.argv[2] ?? "{}") as ReplayConfig);
}
