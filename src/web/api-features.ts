import { Hono } from "hono";
import { z } from "zod";
import type { Backend } from "../agent/backend.js";
import type { ConversationRecord } from "../sessions/store.js";
import type { ConversationSummary } from "./api.js";
import { HttpError } from "./http-error.js";
import { jsonBody, keyParam, notFound } from "./request.js";
import type { ConversationRuns } from "./runs.js";
import { ForkBody, QuestionId, QuestionReplyBody, validate } from "./schemas.js";

export interface FeatureDeps {
  backend: Backend;
  runs: ConversationRuns;
  summary(record: ConversationRecord): ConversationSummary;
}

/** `?all=` of GET …/diff. */
const AllFlag = z.enum(["", "0", "1", "false", "true"]).optional();

/**
 * The routes for OpenCode's everyday features beyond chatting: the server's agents and commands,
 * answers to the agent's questions, and what a conversation changed (its diff), undone, redone,
 * forked or compacted. Operations on a conversation wait for no turn: 409 busy while one runs.
 */
export function featureRoutes({ backend, runs, summary }: FeatureDeps): Hono {
  const api = new Hono();
  /** The conversation of the route, which must exist. */
  const known = (key: string): ConversationRecord => {
    const record = backend.get(key);
    if (!record) throw notFound(key);
    return record;
  };

  api.get("/agents", async (c) => c.json({ agents: await backend.agents() }));

  api.get("/commands", async (c) => c.json({ commands: await backend.commands() }));

  api.post("/questions/:id", async (c) => {
    const id = validate(QuestionId, c.req.param("id"), "question id");
    const body = await jsonBody(c, QuestionReplyBody, "question reply");
    if (body.answers) {
      await backend.replyQuestion(id, body.answers);
      return c.json({ id, answers: body.answers });
    }
    await backend.replyQuestion(id, "reject");
    return c.json({ id, reject: true });
  });

  api.get("/conversations/:key/diff", async (c) => {
    const key = keyParam(c);
    const all = validate(AllFlag, c.req.query("all"), "`all` parameter (1 or 0)");
    known(key);
    return c.json({ diff: await backend.diff(key, { all: all === "1" || all === "true" }) });
  });

  api.post("/conversations/:key/undo", async (c) => {
    const key = keyParam(c);
    known(key);
    return c.json({ undone: await runs.exclusive(key, "undoing its last turn", () => backend.undo(key)) });
  });

  api.post("/conversations/:key/redo", async (c) => {
    const key = keyParam(c);
    known(key);
    return c.json({ redone: await runs.exclusive(key, "redoing a turn", () => backend.redo(key)) });
  });

  api.post("/conversations/:key/compact", async (c) => {
    const key = keyParam(c);
    known(key);
    await runs.exclusive(key, "compacting", () => backend.compact(key));
    return c.json({ compacted: true });
  });

  api.post("/conversations/:key/fork", async (c) => {
    const key = keyParam(c);
    const { key: newKey } = await jsonBody(c, ForkBody, "fork request");
    known(key);
    if (newKey === key || backend.get(newKey) || runs.get(newKey)) {
      throw new HttpError(409, "exists", `There is a conversation "${newKey}" already: fork into a new key.`);
    }
    // Neither conversation may start a turn meanwhile.
    const record = await runs.exclusive(key, "being forked", () =>
      runs.exclusive(newKey, "being created by a fork", () => backend.fork(key, newKey)),
    );
    return c.json({ conversation: summary(record) }, 201);
  });

  return api;
}
