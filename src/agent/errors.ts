import type { ErrorCode } from "./events.js";

/**
 * A failure of a backend outside a run (a run reports failures as `error` events): the server
 * unreachable, credentials refused, a request it rejected. Fronts pick exit codes and wording
 * from `code`, never by parsing the message; the message is a sentence a person can act on and
 * never holds a secret. Each backend's own error classes extend this one.
 */
export class BackendError extends Error {
  readonly code: ErrorCode;
  /** The server's release, when the failure is that it is one pocketpaw cannot drive. */
  readonly version?: string;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The conversation is not remembered for this server and directory. */
export class UnknownConversationError extends Error {
  constructor(
    readonly key: string,
    where: string,
  ) {
    super(`No conversation "${key}" is remembered for ${where}; \`pocketpaw sessions\` lists them.`);
    this.name = "UnknownConversationError";
  }
}
