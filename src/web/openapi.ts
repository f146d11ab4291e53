import { jsonSchema, schemas } from "./openapi-schemas.js";
import {
  ConversationKey,
  ForkBody,
  MessageBody,
  PermissionId,
  PermissionReplyBody,
  QuestionId,
  QuestionReplyBody,
  RenameBody,
} from "./schemas.js";

/**
 * The HTTP API as OpenAPI 3.1, served at /api/openapi.json. Request bodies and parameters come
 * from the same zod schemas the routes validate with; responses are described here.
 */
const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, description = "OK") => ({ description, content: { "application/json": { schema } } });
const error = (description: string) => json(ref("Error"), description);
const body = (name: keyof typeof schemas) => ({ required: true, content: { "application/json": { schema: ref(name) } } });
const keyParam = { name: "key", in: "path", required: true, schema: jsonSchema(ConversationKey) };
const eventStream = {
  description:
    "`text/event-stream`: one frame per AgentEvent, `id: <run>-<n>` and `data: <AgentEvent JSON>`, ending after `done`. Reconnect with GET /api/conversations/{key}/events and `Last-Event-ID` to get what was missed. `event: gap` means events older than the replay window were dropped. Lines starting with `:` are keep-alives.",
  content: { "text/event-stream": { schema: { type: "string" } } },
};
const common = {
  "401": error("The access token is missing or wrong."),
  "403": error("A request from another site, or addressed to another host."),
};
const operationErrors = {
  "404": error("No such conversation."),
  "409": error("A turn is running in the conversation, or another operation is (code busy)."),
  "502": error("The OpenCode server failed."),
  ...common,
};

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "pocketpaw",
      version,
      description:
        "Chat with an OpenCode server through pocketpaw: the web dashboard's API, for channels and scripts. Off loopback every request needs `Authorization: Bearer <POCKETPAW_DASHBOARD_TOKEN>`; browsers from other origins are refused.",
    },
    components: {
      schemas,
      securitySchemes: { token: { type: "http", scheme: "bearer", description: "POCKETPAW_DASHBOARD_TOKEN, when set." } },
    },
    security: [{}, { token: [] }],
    paths: {
      "/api/conversations/{key}/messages": {
        post: {
          summary: "Send a message (or run a command), with files if any; the answer streams as Server-Sent Events",
          parameters: [keyParam],
          requestBody: body("MessageRequest"),
          responses: {
            "200": eventStream,
            "400": error("Bad key or body."),
            "409": error("A turn is already running in this conversation (code busy)."),
            "413": error("The body is too large, or a file is larger than 10 MB (code payload_too_large)."),
            "415": error("The body is not JSON."),
            "429": error("Too many turns running at once."),
            ...common,
          },
        },
      },
      "/api/conversations/{key}/events": {
        get: {
          summary: "The conversation's current or last run as Server-Sent Events, from after Last-Event-ID",
          parameters: [
            keyParam,
            {
              name: "Last-Event-ID",
              in: "header",
              required: false,
              schema: { type: "string" },
              description: "The id of the last frame received; absent = from the start of the run.",
            },
            {
              name: "lastEventId",
              in: "query",
              required: false,
              schema: { type: "string" },
              description: "The same, for clients that cannot set the header.",
            },
          ],
          responses: { "200": eventStream, "404": error("No run since pocketpaw started (code no_run)."), ...common },
        },
      },
      "/api/conversations/{key}/stop": {
        post: {
          summary: "Stop the conversation's running turn on the OpenCode server",
          parameters: [keyParam],
          responses: {
            "200": json({ type: "object", properties: { stopped: { type: "boolean", description: "false when nothing was running" } } }),
            ...common,
          },
        },
      },
      "/api/permissions/{id}": {
        post: {
          summary: "Answer a permission request",
          parameters: [{ name: "id", in: "path", required: true, schema: jsonSchema(PermissionId) }],
          requestBody: body("PermissionReply"),
          responses: {
            "200": json({ type: "object", properties: { id: { type: "string" }, reply: { type: "string" } } }),
            "400": error("Bad body."),
            "404": error("No such request."),
            ...common,
          },
        },
      },
      "/api/questions/{id}": {
        post: {
          summary: "Answer the agent's question (a `question` event), or refuse it",
          parameters: [{ name: "id", in: "path", required: true, schema: jsonSchema(QuestionId) }],
          requestBody: body("QuestionReply"),
          responses: {
            "200": json({
              type: "object",
              properties: {
                id: { type: "string" },
                answers: { type: "array", items: { type: "array", items: { type: "string" } } },
                reject: { type: "boolean" },
              },
            }),
            "400": error("Bad body: neither or both of answers and reject."),
            "404": error("No such question (already answered, or the turn ended)."),
            ...common,
          },
        },
      },
      "/api/conversations/{key}/diff": {
        get: {
          summary: "What the conversation's last turn (or, with ?all=1, all its turns) changed, as a unified diff",
          parameters: [
            keyParam,
            {
              name: "all",
              in: "query",
              required: false,
              schema: { type: "string", enum: ["0", "1", "false", "true"] },
              description: "1: the whole conversation's changes",
            },
          ],
          responses: {
            "200": json({
              type: "object",
              properties: { diff: { type: "string", description: "Unified diff; empty when nothing changed" } },
            }),
            "404": error("No such conversation."),
            "502": error("The OpenCode server failed."),
            ...common,
          },
        },
      },
      "/api/conversations/{key}/undo": {
        post: {
          summary: "Revert the conversation's last turn on the server, files included",
          parameters: [keyParam],
          responses: {
            "200": json({
              type: "object",
              properties: { undone: { type: "boolean", description: "false when there was nothing to undo" } },
            }),
            ...operationErrors,
          },
        },
      },
      "/api/conversations/{key}/redo": {
        post: {
          summary: "Restore what undo reverted",
          parameters: [keyParam],
          responses: {
            "200": json({
              type: "object",
              properties: { redone: { type: "boolean", description: "false when there was nothing to redo" } },
            }),
            ...operationErrors,
          },
        },
      },
      "/api/conversations/{key}/fork": {
        post: {
          summary: "Continue a copy of the conversation under a new key",
          parameters: [keyParam],
          requestBody: body("ForkRequest"),
          responses: {
            "201": json({ type: "object", properties: { conversation: ref("Conversation") } }, "The new conversation"),
            "400": error("Bad body."),
            ...operationErrors,
            "409": error("The new key exists already (code exists), or a turn is running in the conversation (code busy)."),
          },
        },
      },
      "/api/conversations/{key}/compact": {
        post: {
          summary: "Summarise the conversation on the server so that it takes less context",
          parameters: [keyParam],
          responses: { "200": json({ type: "object", properties: { compacted: { type: "boolean" } } }), ...operationErrors },
        },
      },
      "/api/agents": {
        get: {
          summary: "The OpenCode server's agents (primary ones can answer a conversation: `agent` in a message)",
          responses: {
            "200": json({ type: "object", properties: { agents: { type: "array", items: ref("Agent") } } }),
            "502": error("The OpenCode server failed."),
            ...common,
          },
        },
      },
      "/api/commands": {
        get: {
          summary: "The OpenCode server's commands (`command` in a message runs one)",
          responses: {
            "200": json({ type: "object", properties: { commands: { type: "array", items: ref("Command") } } }),
            "502": error("The OpenCode server failed."),
            ...common,
          },
        },
      },
      "/api/conversations": {
        get: {
          summary: "Conversations on this OpenCode server and directory, newest first",
          responses: {
            "200": json({ type: "object", properties: { conversations: { type: "array", items: ref("Conversation") } } }),
            ...common,
          },
        },
      },
      "/api/conversations/{key}": {
        get: {
          summary: "A conversation and its transcript (turns of AgentEvents read from the OpenCode server)",
          parameters: [keyParam],
          responses: {
            "200": json({
              type: "object",
              properties: {
                conversation: ref("Conversation"),
                turns: { type: "array", items: ref("Turn") },
                run: { oneOf: [ref("Run"), { type: "null" }] },
              },
            }),
            "404": error("No such conversation."),
            ...common,
          },
        },
        patch: {
          summary: "Rename a conversation",
          parameters: [keyParam],
          requestBody: body("RenameRequest"),
          responses: {
            "200": json({ type: "object", properties: { conversation: ref("Conversation") } }),
            "404": error("No such conversation."),
            ...common,
          },
        },
        delete: {
          summary: "Forget a conversation (its OpenCode session stays on the server)",
          parameters: [keyParam],
          responses: {
            "200": json({ type: "object", properties: { forgotten: { type: "string" } } }),
            "404": error("No such conversation."),
            ...common,
          },
        },
      },
      "/api/health": {
        get: {
          summary: "pocketpaw and the OpenCode server: reachable, version",
          responses: {
            "200": json({
              type: "object",
              properties: {
                ok: { type: "boolean" },
                pocketpaw: { type: "object", properties: { version: { type: "string" }, activeRuns: { type: "integer" } } },
                opencode: {
                  type: "object",
                  properties: {
                    url: { type: "string" },
                    healthy: { type: "boolean" },
                    version: { type: "string" },
                    protocol: { type: "string" },
                    error: { type: "object" },
                  },
                },
                backend: { type: "object" },
              },
            }),
            ...common,
          },
        },
      },
      "/api/backends": {
        get: {
          summary: "The agent backends with their capabilities, and the active one",
          responses: {
            "200": json({
              type: "object",
              properties: { active: { type: "string" }, backends: { type: "array", items: { type: "object" } } },
            }),
            ...common,
          },
        },
      },
      "/api/models": {
        get: {
          summary: "Models of the OpenCode server's providers, for a model picker",
          responses: {
            "200": json({
              type: "object",
              properties: {
                configured: { type: "string" },
                defaults: { type: "object", additionalProperties: { type: "string" } },
                models: {
                  type: "array",
                  items: { type: "object", properties: { id: { type: "string" }, name: { type: "string" }, provider: { type: "string" } } },
                },
              },
            }),
            "502": error("The OpenCode server failed."),
            ...common,
          },
        },
      },
      "/api/openapi.json": { get: { summary: "This document", responses: { "200": json({ type: "object" }) } } },
    },
  };
}
