import { z } from "zod";
import { PERMISSION_REPLIES } from "../agent/events.js";
import { parseModel } from "../config/settings.js";
import { HttpError } from "./http-error.js";

/**
 * What the HTTP API accepts, as zod schemas: requests are checked against them, and the OpenAPI
 * document is generated from them, so the two cannot disagree.
 */

/** "web:3f2a…", "telegram:12345", "cli:default": a channel, a colon, an id. */
export const ConversationKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:@-]+$/)
  .meta({ description: "Conversation key, e.g. `web:3f2a9c` or `telegram:12345` (letters, digits and `_ . : @ -`, at most 200).", example: "web:3f2a9c" });

export const PermissionId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/)
  .meta({ description: "The `metadata.id` of a `permission_request` event, e.g. `per_…`." });

export const MessageBody = z
  .strictObject({
    text: z.string().trim().min(1).max(100_000).meta({ description: "The message." }),
    model: z
      .string()
      .trim()
      .max(200)
      .refine((m) => m === "" || parseModel(m) !== undefined, { error: "expected provider/model, e.g. anthropic/claude-sonnet-4" })
      .optional()
      .meta({ description: "`provider/model` for this turn; empty or absent for the configured model." }),
    maxTurns: z.int().min(0).max(10_000).optional().meta({ description: "Model steps allowed in this turn; 0 = unlimited." }),
  })
  .meta({ title: "MessageRequest" });

export const PermissionReplyBody = z
  .strictObject({
    reply: z.enum(PERMISSION_REPLIES).meta({ description: "Allow once, allow always (for the patterns the request names), or reject." }),
    message: z.string().max(2_000).optional().meta({ description: "Said to the model along with a rejection." }),
  })
  .meta({ title: "PermissionReply" });

export const RenameBody = z
  .strictObject({ title: z.string().trim().min(1).max(200) })
  .meta({ title: "RenameRequest" });

/** A parameter or body checked against its schema; a 400 naming every problem otherwise. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    const where = issue.path.length ? `"${issue.path.join(".")}"` : "the value";
    return `${where}: ${issue.message}`;
  });
  throw new HttpError(400, "bad_request", `The ${what} is not valid: ${problems.join("; ")}.`);
}
