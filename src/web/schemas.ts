import { z } from "zod";
import { MAX_ATTACHMENT_BYTES } from "../agent/backend.js";
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
  .meta({
    description: "Conversation key, e.g. `web:3f2a9c` or `telegram:12345` (letters, digits and `_ . : @ -`, at most 200).",
    example: "web:3f2a9c",
  });

export const PermissionId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/)
  .meta({ description: "The `metadata.id` of a `permission_request` event, e.g. `per_…`." });

/** An agent's or command's name as the server knows it ("build", "plan", "code-review", "git/commit"). */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@/-]*$/;

export const AgentName = z
  .string()
  .max(100)
  .regex(/^(?:[A-Za-z0-9_][A-Za-z0-9_.@/-]*)?$/, {
    error: "expected an agent's name (letters, digits and `_ . @ / -`), e.g. build or plan",
  });

export const CommandName = z
  .string()
  .min(1)
  .max(100)
  .regex(NAME, { error: "expected a command's name without the slash (letters, digits and `_ . @ / -`), e.g. init" });

/** Base64 text of at most MAX_ATTACHMENT_BYTES bytes is at most this long. */
export const MAX_ATTACHMENT_BASE64 = Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4;

/** Files one message may carry. */
export const MAX_ATTACHMENTS = 10;

/**
 * The largest message request: one file of the largest size in base64 and room for the text. A
 * message's files together are bounded by this too (about 10 MB); every other request by MAX_BODY_BYTES.
 */
export const MAX_MESSAGE_BODY_BYTES = MAX_ATTACHMENT_BASE64 + 1024 * 1024;

export const AttachmentBody = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .refine((n) => ![...n].some((ch) => ch < " " || ch === "\u007f" || ch === "/" || ch === "\\"), {
        error: "a file name, without folders or control characters",
      })
      .meta({ description: "The file's name as the agent sees it, e.g. `notes.md`." }),
    mime: z
      .string()
      .max(127)
      .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/, {
        error: "expected a media type, e.g. text/plain or image/png",
      })
      .meta({ description: "The file's media type, e.g. `text/plain`, `image/png`." }),
    data: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: "expected the file's bytes in base64" })
      .refine((d) => d.length % 4 === 0, { error: "expected the file's bytes in base64 (a multiple of 4 characters, padded with =)" })
      .meta({
        description: `The file's bytes, base64 (standard alphabet, padded). At most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB decoded: larger files are refused with 413.`,
        maxLength: MAX_ATTACHMENT_BASE64,
      }),
  })
  .meta({ title: "Attachment" });

export const MessageBody = z
  .strictObject({
    text: z.string().trim().max(100_000).meta({ description: "The message; with `command`, the command's arguments (may then be empty)." }),
    model: z
      .string()
      .trim()
      .max(200)
      .refine((m) => m === "" || parseModel(m) !== undefined, { error: "expected provider/model, e.g. anthropic/claude-sonnet-4" })
      .optional()
      .meta({ description: "`provider/model` for this turn; empty or absent for the configured model." }),
    agent: AgentName.optional().meta({
      description:
        "The agent that answers (`build`, `plan`, a custom one; see GET /api/agents), remembered for the conversation's next turns; absent: the conversation's agent; empty: back to the server's default.",
    }),
    command: CommandName.optional().meta({
      description:
        "Run this command of the server (see GET /api/commands; `init`, not `/init`) with `text` as its arguments, instead of sending `text` as a prompt.",
    }),
    files: z
      .array(AttachmentBody)
      .max(MAX_ATTACHMENTS)
      .optional()
      .meta({
        description: `Files attached to the message, at most ${MAX_ATTACHMENTS}, each at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB (and the whole request at most ${(MAX_MESSAGE_BODY_BYTES / 1024 / 1024).toFixed(1)} MB).`,
      }),
    maxTurns: z.int().min(0).max(10_000).optional().meta({ description: "Model steps allowed in this turn; 0 = unlimited." }),
  })
  .superRefine((body, ctx) => {
    if (body.text === "" && body.command === undefined)
      ctx.addIssue({ code: "custom", path: ["text"], message: "empty: write a message (only a command may go without one)" });
  })
  .meta({ title: "MessageRequest" });

export const PermissionReplyBody = z
  .strictObject({
    reply: z.enum(PERMISSION_REPLIES).meta({ description: "Allow once, allow always (for the patterns the request names), or reject." }),
    message: z.string().max(2_000).optional().meta({ description: "Said to the model along with a rejection." }),
  })
  .meta({ title: "PermissionReply" });

export const RenameBody = z.strictObject({ title: z.string().trim().min(1).max(200) }).meta({ title: "RenameRequest" });

export const QuestionId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/)
  .meta({ description: "The `metadata.id` of a `question` event, e.g. `que_…`." });

export const QuestionReplyBody = z
  .strictObject({
    answers: z
      .array(z.array(z.string().trim().min(1).max(10_000)).max(100))
      .min(1)
      .max(100)
      .optional()
      .meta({ description: "One list per question of the event, in order: the chosen options' labels, or typed text." }),
    reject: z.literal(true).optional().meta({ description: "Refuse to answer (the agent is told)." }),
  })
  .superRefine((body, ctx) => {
    if ((body.answers === undefined) === (body.reject === undefined))
      ctx.addIssue({ code: "custom", path: [], message: 'send either "answers" or "reject": true, not both or neither' });
  })
  .meta({
    title: "QuestionReply",
    description: 'Either `{"answers": [["label"], …]}` or `{"reject": true}`.',
    oneOf: [{ required: ["answers"] }, { required: ["reject"] }],
  });

export const ForkBody = z
  .strictObject({ key: ConversationKey.meta({ description: "The new conversation's key; it must not exist yet." }) })
  .meta({ title: "ForkRequest" });

/** A parameter or body checked against its schema; a 400 naming every problem otherwise. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys")
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    if (issue.path.length === 0) return issue.code === "custom" ? issue.message : `the value: ${issue.message}`;
    return `"${issue.path.join(".")}": ${issue.message}`;
  });
  throw new HttpError(400, "bad_request", `The ${what} is not valid: ${problems.join("; ")}.`);
}
