import type { ContentfulStatusCode } from "hono/utils/http-status";
import { BackendError, UnknownConversationError } from "../agent/errors.js";
import { StoreError } from "../sessions/sqlite-store.js";

/**
 * Every failure of the HTTP API is `{error: {code, message}}` with a status that fits, so a
 * channel branches on `code` and shows `message` (a sentence a person can act on) as is.
 */
export const WEB_ERROR_CODES = [
  "bad_request",
  "unsupported_media_type",
  "payload_too_large",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "busy",
  "exists",
  "too_many_runs",
  "no_run",
  "upstream",
  "upstream_timeout",
  // The conversation store: one per StoreProblem (`store_${problem}`).
  "store_locked",
  "store_damaged",
  "store_foreign",
  "store_newer",
  "store_unavailable",
  "internal",
] as const;
export type WebErrorCode = (typeof WEB_ERROR_CODES)[number];

export interface WebErrorBody {
  error: { code: WebErrorCode; message: string };
}

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: WebErrorCode,
    message: string,
    /** Seconds after which trying again may work (the Retry-After header). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  get body(): WebErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * Any failure as an HttpError. The backend's failures keep their wording (already written for
 * people, never holding a password): an unknown conversation is a 404, a bad request a 400, the
 * rest is the upstream server's fault (502, or 504 on a timeout).
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof UnknownConversationError) return new HttpError(404, "not_found", error.message);
  if (error instanceof BackendError) {
    if (error.code === "bad_request") return new HttpError(400, "bad_request", error.message);
    if (error.code === "not_found") return new HttpError(404, "not_found", error.message);
    if (error.code === "timeout") return new HttpError(504, "upstream_timeout", error.message);
    return new HttpError(502, "upstream", error.message);
  }
  // The conversation store's own words say what happened (locked, damaged, …) and what to do.
  if (error instanceof StoreError) {
    return error.problem === "locked"
      ? new HttpError(503, "store_locked", error.message, 5)
      : new HttpError(500, `store_${error.problem}`, error.message);
  }
  return new HttpError(500, "internal", "pocketpaw failed unexpectedly; see its console output for details.");
}
