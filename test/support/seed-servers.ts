import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * Small servers that are not the real OpenCode: the protocol the seed page documents (health on
 * `GET /`, the turn streamed as NDJSON from `POST /session/{id}/message`), and a plain web
 * server that answers HTML to everything.
 */
export interface LocalServer {
  url: string;
  /** Request lines received, e.g. "POST /session/ses_seed_1/message". */
  requests: string[];
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>): Promise<LocalServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}`);
      void handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

/**
 * The seed's protocol. The answer to a prompt is the same OpenCode events the real server puts
 * on `/event`, one per line, plus a malformed line and an unknown event type that a client must
 * pass by: the reply echoes the prompt in three deltas and runs one (pretend) bash step.
 */
export function startSeedNdjsonServer(): Promise<LocalServer> {
  let sessions = 0;
  return listen(async (req, res, body) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "GET" && path === "/") return json(res, 200, { healthy: true, version: "seed-ndjson" });
    if (req.method === "POST" && path === "/session")
      return json(res, 200, { id: `ses_seed_${++sessions}`, title: JSON.parse(body || "{}").title });
    const session = /^\/session\/([^/]+)(\/message|\/abort)?$/.exec(path);
    if (!session) return json(res, 404, { name: "NotFoundError", data: { message: `no route ${path}` } });
    const sessionID = session[1] as string;
    if (req.method === "GET" && !session[2]) return json(res, 200, { id: sessionID });
    if (req.method === "POST" && session[2] === "/abort") return json(res, 200, true);
    if (req.method !== "POST" || session[2] !== "/message") return json(res, 404, { name: "NotFoundError", data: { message: "no route" } });

    const prompt = JSON.parse(body) as { parts: { text: string }[]; messageID?: string };
    const text = prompt.parts.map((p) => p.text).join("");
    const user = prompt.messageID ?? "msg_user";
    const a1 = "msg_seed_a1";
    const a2 = "msg_seed_a2";
    const base = { sessionID };
    const lines: unknown[] = [
      { type: "message.updated", properties: { ...base, info: { id: user, sessionID, role: "user" } } },
      {
        type: "message.updated",
        properties: { ...base, info: { id: a1, sessionID, role: "assistant", parentID: user, time: { created: 1 } } },
      },
      {
        type: "message.part.updated",
        properties: {
          ...base,
          part: {
            id: "prt_t1",
            messageID: a1,
            sessionID,
            type: "tool",
            tool: "bash",
            callID: "call_1",
            state: { status: "running", input: { command: "echo seed" } },
          },
        },
      },
      {
        type: "message.part.updated",
        properties: {
          ...base,
          part: {
            id: "prt_t1",
            messageID: a1,
            sessionID,
            type: "tool",
            tool: "bash",
            callID: "call_1",
            state: { status: "completed", input: { command: "echo seed" }, output: "seed\n", title: "echo seed" },
          },
        },
      },
      {
        type: "message.updated",
        properties: {
          ...base,
          info: {
            id: a1,
            sessionID,
            role: "assistant",
            parentID: user,
            time: { created: 1, completed: 2 },
            tokens: { input: 3, output: 4 },
            cost: 0,
          },
        },
      },
      {
        type: "message.updated",
        properties: { ...base, info: { id: a2, sessionID, role: "assistant", parentID: user, time: { created: 3 } } },
      },
      "this line is not JSON {",
      { type: "some.future.event", properties: { ...base, whatever: true } },
      {
        type: "message.part.updated",
        properties: { ...base, part: { id: "prt_x", messageID: a2, sessionID, type: "text", text: "", time: { start: 3 } } },
      },
      ...["Seed ", "says: ", text].map((delta) => ({
        type: "message.part.delta",
        properties: { ...base, messageID: a2, partID: "prt_x", field: "text", delta },
      })),
      {
        type: "message.part.updated",
        properties: {
          ...base,
          part: { id: "prt_x", messageID: a2, sessionID, type: "text", text: `Seed says: ${text}`, time: { start: 3, end: 4 } },
        },
      },
      {
        type: "message.updated",
        properties: {
          ...base,
          info: {
            id: a2,
            sessionID,
            role: "assistant",
            parentID: user,
            time: { created: 3, completed: 4 },
            tokens: { input: 5, output: 6 },
            cost: 0,
          },
        },
      },
    ];
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    for (const line of lines) {
      res.write(`${typeof line === "string" ? line : JSON.stringify(line)}\n`);
      await new Promise((r) => setTimeout(r, 5));
    }
    res.end();
  });
}

/** A web server that is not OpenCode: an HTML page for every path and method. */
export function startHtmlServer(): Promise<LocalServer> {
  return listen((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>");
  });
}
