import { type Attachment, MAX_ATTACHMENT_BYTES } from "../../agent/backend.js";
import { parseModel } from "../../config/settings.js";
import { OpenCodeError } from "../rest/errors.js";
import type { OcCommandBody, OcFilePartInput, OcModelRef, OcPromptBody } from "../rest/wire.js";

/**
 * What a run asks of the server, under the user message id the follower chooses (so that it knows
 * the turn's messages from the first event on): a prompt (`prompt_async`), or one of the server's
 * commands (`POST /session/{id}/command`, which accepts a `messageID` too).
 */
export type TurnRequest =
  | { kind: "prompt"; body: (messageID: string) => OcPromptBody }
  | { kind: "command"; command: string; body: (messageID: string) => OcCommandBody };

export interface TurnRequestOptions {
  /** "provider/model"; "" = the server's default. */
  model: string;
  /** "" = the server's default. */
  agent: string;
  systemPrompt?: string;
  files?: Attachment[];
  /** A command name (a leading "/" is allowed); the message is then its arguments. */
  command?: string;
}

/**
 * The run's request. Throws OpenCodeError (`bad_request`) before anything is sent, for a model
 * that is not provider/model, and for an attachment without a name or over MAX_ATTACHMENT_BYTES.
 */
export function turnRequest(message: string, o: TurnRequestOptions): TurnRequest {
  const model: OcModelRef | undefined = o.model ? parseModel(o.model) : undefined;
  if (o.model && !model) {
    throw new OpenCodeError("bad_request", `The model "${o.model}" is not valid: expected provider/model, e.g. anthropic/claude-sonnet-4.`);
  }
  const files = (o.files ?? []).map(filePart);
  const agent = o.agent ? { agent: o.agent } : {};
  const command = commandName(o.command);
  if (command) {
    return {
      kind: "command",
      command,
      // The command route takes the model as a "provider/model" string; it has no system prompt.
      body: (messageID) => ({
        command,
        arguments: message,
        messageID,
        ...agent,
        ...(model ? { model: o.model } : {}),
        ...(files.length ? { parts: files } : {}),
      }),
    };
  }
  return {
    kind: "prompt",
    body: (messageID) => ({
      parts: [{ type: "text", text: message }, ...files],
      messageID,
      ...(model ? { model } : {}),
      ...agent,
      ...(o.systemPrompt ? { system: o.systemPrompt } : {}),
      // No `tools` here: the server turns a prompt's `tools` into the session's permission
      // rules, replacing the ruleset the session was created with (measured on 1.18.33).
    }),
  };
}

/** "/review" and "review" are the same command; "" is none. */
export function commandName(command: string | undefined): string {
  return (command ?? "").trim().replace(/^\//, "");
}

/** An attachment as a file part: its bytes inline as a `data:` URL (the server keeps nothing else). */
function filePart(file: Attachment): OcFilePartInput {
  const name = file.name.trim();
  if (!name) throw new OpenCodeError("bad_request", "An attached file has no name; every attachment needs one (e.g. notes.md).");
  if (file.data.byteLength > MAX_ATTACHMENT_BYTES) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    throw new OpenCodeError(
      "bad_request",
      `The attachment ${name} is ${mb(file.data.byteLength)}; pocketpaw sends at most ${mb(MAX_ATTACHMENT_BYTES)} per file. Nothing was sent.`,
    );
  }
  const mime = file.mime.trim() || "application/octet-stream";
  return { type: "file", mime, filename: name, url: `data:${mime};base64,${Buffer.from(file.data).toString("base64")}` };
}
