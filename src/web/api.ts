import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { type Backend, titleFor } from "../agent/backend.js";
import { BackendError } from "../agent/errors.js";
import { BACKENDS } from "../agent/registry.js";
import type { ChannelState } from "../channels/index.js";
import type { ConversationRecord } from "../sessions/store.js";
import { featureRoutes } from "./api-features.js";
import { attachmentsOf } from "./attachments.js";
import { HttpError } from "./http-error.js";
import { openApiDocument } from "./openapi.js";
import { jsonBody, keyParam, notFound } from "./request.js";
import { followRun, type RunLog } from "./run-log.js";
import type { ConversationRuns } from "./runs.js";
import { MessageBody, PermissionId, PermissionReplyBody, RenameBody, validate } from "./schemas.js";

export interface ApiDeps {
  backend: Backend;
  runs: ConversationRuns;
  /** pocketpaw's version, shown by /api/health. */
  version: string;
  /** The configured model ("" = the server's default), preselected in the picker. */
  model: string;
  /** The chat channels `pocketpaw serve` runs (Telegram, …) and how each is doing. */
  channels?: () => ChannelState[];
}

/** A conversation as the API lists it. */
export interface ConversationSummary {
  key: string;
  title: string;
  model: string;
  /** The agent the conversation's turns use; "" = the server's default. */
  agent: string;
  sessionId?: string;
  createdAt: number;
  lastUsedAt: number;
  running: boolean;
}

const HEARTBEAT_MS = 15_000;

export function apiRoutes(deps: ApiDeps): Hono {
  const { backend, runs } = deps;
  const api = new Hono();
  const keyOf = (c: Context) => keyParam(c);
  const summary = (record: ConversationRecord): ConversationSummary => ({
    key: record.key,
    title: record.title,
    model: record.model,
    agent: record.agent,
    sessionId: record.sessionId,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    running: runs.isRunning(record.key),
  });

  api.get("/openapi.json", (c) => c.json(openApiDocument(deps.version)));

  api.get("/health", async (c) => {
    const status = backend.status();
    let opencode: Record<string, unknown>;
    try {
      const { version, protocol } = await backend.health();
      opencode = { url: status.serverUrl, healthy: true, version, protocol };
    } catch (error) {
      if (!(error instanceof BackendError)) throw error;
      opencode = { url: status.serverUrl, healthy: false, error: { code: error.code, message: error.message } };
    }
    return c.json({
      ok: opencode.healthy === true,
      pocketpaw: { version: deps.version, activeRuns: runs.running().length },
      opencode,
      backend: { name: status.backend, eventStreamConnected: status.eventStreamConnected },
      channels: deps.channels?.() ?? [],
    });
  });

  api.get("/backends", (c) => c.json({ active: backend.info().name, backends: Object.values(BACKENDS) }));

  api.get("/models", async (c) => {
    const { models, defaults } = await backend.models();
    return c.json({ configured: deps.model, defaults, models });
  });

  api.get("/conversations", (c) => {
    const stored = backend.list().map(summary);
    const known = new Set(stored.map((s) => s.key));
    // A run that has not created its session yet is not in the store, but is a conversation.
    const starting = runs
      .running()
      .filter((log) => !known.has(log.key))
      .map(
        (log): ConversationSummary => ({
          key: log.key,
          title: titleFor(log.text),
          model: "",
          agent: "",
          createdAt: log.startedAt,
          lastUsedAt: log.startedAt,
          running: true,
        }),
      );
    return c.json({ conversations: [...starting, ...stored] });
  });

  api.get("/conversations/:key", async (c) => {
    const key = keyOf(c);
    const record = backend.get(key);
    const log = runs.get(key);
    if (!record && !log) throw notFound(key);
    let turns = record ? (await backend.transcript(key)).turns : [];
    // The running turn is shown from its live events (GET …/events), not twice.
    const last = turns.at(-1);
    if (log && !log.finished && last?.text === log.text) turns = turns.slice(0, -1);
    return c.json({
      conversation: record
        ? summary(record)
        : {
            key,
            title: titleFor(log?.text ?? ""),
            model: "",
            agent: "",
            createdAt: log?.startedAt ?? 0,
            lastUsedAt: log?.startedAt ?? 0,
            running: runs.isRunning(key),
          },
      turns,
      run: log ? runInfo(log) : null,
    });
  });

  api.patch("/conversations/:key", async (c) => {
    const key = keyOf(c);
    const { title } = await jsonBody(c, RenameBody, "rename request");
    if (!backend.get(key)) throw notFound(key);
    return c.json({ conversation: summary(backend.rename(key, title)) });
  });

  api.delete("/conversations/:key", async (c) => {
    const key = keyOf(c);
    const hadRun = runs.get(key) !== undefined;
    runs.forget(key);
    // The OpenCode session itself stays on the server (its own UI still lists it).
    const known = backend.get(key) !== undefined;
    if (known) await backend.forget(key);
    else if (!hadRun) throw notFound(key);
    return c.json({ forgotten: key });
  });

  api.post("/conversations/:key/messages", async (c) => {
    const key = keyOf(c);
    const body = await jsonBody(c, MessageBody, "message");
    const files = attachmentsOf(body.files);
    runs.assertIdle(key);
    // "" goes back to the server's default agent for this and the next turns.
    if (body.agent === "") backend.setAgent(key, "");
    const log = runs.start(key, {
      // A command shows as the person would type it.
      text: body.command ? `/${body.command}${body.text ? ` ${body.text}` : ""}` : body.text,
      prompt: body.text,
      ...(body.model ? { model: body.model } : {}),
      ...(body.agent ? { agent: body.agent } : {}),
      ...(body.command ? { command: body.command } : {}),
      ...(files.length ? { files } : {}),
      ...(body.maxTurns !== undefined ? { maxTurns: body.maxTurns } : {}),
    });
    return streamRun(c, log, 0);
  });

  api.get("/conversations/:key/events", (c) => {
    const key = keyOf(c);
    const log = runs.get(key);
    if (!log) {
      throw new HttpError(
        404,
        "no_run",
        `No turn of conversation "${key}" has run since pocketpaw started: read its transcript with GET /api/conversations/${encodeURIComponent(key)}.`,
      );
    }
    // EventSource sends Last-Event-ID itself when it reconnects; the query form is for a first connection.
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("lastEventId");
    return streamRun(c, log, log.seqOf(lastEventId));
  });

  api.post("/conversations/:key/stop", (c) => {
    const key = keyOf(c);
    return c.json({ stopped: runs.stop(key) });
  });

  api.post("/permissions/:id", async (c) => {
    const id = validate(PermissionId, c.req.param("id"), "permission id");
    const { reply, message } = await jsonBody(c, PermissionReplyBody, "permission reply");
    await backend.replyPermission(id, reply, message);
    return c.json({ id, reply });
  });

  api.route("/", featureRoutes({ backend, runs, summary }));

  return api;
}

function runInfo(log: RunLog) {
  return { id: log.runId, running: !log.finished, text: log.text, startedAt: log.startedAt, lastEventId: `${log.runId}-${log.lastSeq}` };
}

/**
 * A run as Server-Sent Events from after `seq`: one frame per AgentEvent (`id: <run>-<seq>`,
 * `data: <event JSON>`), live until the run's `done`. A reader whose point was dropped from the
 * bounded log first gets an `event: gap` frame. The run does not depend on this connection.
 */
function streamRun(c: Context, log: RunLog, seq: number): Response {
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (stream) => {
    const closed = new AbortController();
    stream.onAbort(() => closed.abort());
    const heartbeat = setInterval(() => void stream.write(": keep-alive\n\n"), HEARTBEAT_MS);
    try {
      for await (const batch of followRun(log, seq, closed.signal)) {
        const frames = batch.entries.map((e) => `id: ${e.id}\ndata: ${e.data}\n\n`).join("");
        const gap = batch.gap
          ? `event: gap\ndata: ${JSON.stringify({ message: "Some events of this run are no longer kept; read the transcript for the whole turn." })}\n\n`
          : "";
        await stream.write(gap + frames);
      }
    } finally {
      clearInterval(heartbeat);
    }
  });
}
