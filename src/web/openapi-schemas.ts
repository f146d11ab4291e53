import { z } from "zod";
import { AGENT_EVENT_TYPES, DONE_REASONS, ERROR_CODES } from "../agent/events.js";
import { WEB_ERROR_CODES } from "./http-error.js";
import { ForkBody, MessageBody, PermissionReplyBody, QuestionReplyBody, RenameBody } from "./schemas.js";

/** The HTTP API's OpenAPI components: request bodies from the routes' own zod schemas, responses described here. */
export const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>;
  return rest;
};

export const schemas = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: { type: "string", enum: [...WEB_ERROR_CODES] },
          message: { type: "string", description: "A sentence for people." },
        },
      },
    },
  },
  AgentEvent: {
    type: "object",
    description:
      "One event of a run (see src/agent/events.ts). `message`: a chunk of the answer's text; `thinking`/`thinking_done`: reasoning; `tool_use`/`tool_result`: a tool step (metadata name, input, callId, summary; content the output); `permission_request`: answer it with POST /api/permissions/{metadata.id}; `question`: the agent asks (metadata id, questions: [{question, header, options: [{label, description}], multiple}]), answer it with POST /api/questions/{metadata.id}; `todo`: the agent's todo list as it stands now (metadata todos: [{content, status, priority}]); `files_changed`: the files the turn changed, before `done` (metadata files: [{path, additions, deletions}]; GET /api/conversations/{key}/diff has the diff); `token_usage`; `status`; `error` (metadata.code: " +
      ERROR_CODES.join("|") +
      "); `done` is always last (metadata.reason " +
      DONE_REASONS.join("|") +
      ", usage, turns).",
    required: ["type", "content", "metadata"],
    properties: { type: { type: "string", enum: AGENT_EVENT_TYPES }, content: { type: "string" }, metadata: { type: "object" } },
  },
  Conversation: {
    type: "object",
    required: ["key", "title", "model", "agent", "createdAt", "lastUsedAt", "running"],
    properties: {
      key: { type: "string" },
      title: { type: "string" },
      model: { type: "string", description: "provider/model, or empty for the configured one" },
      agent: { type: "string", description: "The agent its turns use, or empty for the server's default" },
      sessionId: { type: "string", description: "The OpenCode session" },
      createdAt: { type: "integer", description: "ms since the epoch" },
      lastUsedAt: { type: "integer" },
      running: { type: "boolean" },
    },
  },
  Turn: {
    type: "object",
    required: ["id", "text", "events"],
    properties: {
      id: { type: "string" },
      text: { type: "string" },
      at: { type: "integer" },
      events: { type: "array", items: { $ref: "#/components/schemas/AgentEvent" } },
    },
  },
  Run: {
    type: "object",
    properties: {
      id: { type: "string" },
      running: { type: "boolean" },
      text: { type: "string" },
      startedAt: { type: "integer" },
      lastEventId: { type: "string" },
    },
  },
  Agent: {
    type: "object",
    required: ["name", "description", "mode", "builtIn"],
    properties: {
      name: { type: "string" },
      description: { type: "string" },
      mode: {
        type: "string",
        enum: ["primary", "subagent", "all"],
        description: "`primary` and `all` ones can answer a conversation; subagents are called by them",
      },
      builtIn: { type: "boolean", description: "Built into the server rather than configured" },
    },
  },
  Command: {
    type: "object",
    required: ["name", "description"],
    properties: { name: { type: "string", description: "Without the slash: `init`" }, description: { type: "string" } },
  },
  MessageRequest: jsonSchema(MessageBody),
  PermissionReply: jsonSchema(PermissionReplyBody),
  QuestionReply: jsonSchema(QuestionReplyBody),
  RenameRequest: jsonSchema(RenameBody),
  ForkRequest: jsonSchema(ForkBody),
};
