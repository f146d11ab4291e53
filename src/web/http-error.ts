import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, OpenCodeError } from "../opencode/errors.js";

/**
 * Every failure of the HTTP API is `{error: {code, message}}` with a status that fits, so a
 * channel branches on `code` and shows `message` (a sentence a person can act on) as is.
 */
export type WebErrorCode =
  | "bad_request"
  | "unsupported_media_type"
  | "payload_too_large"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "busy"
  | "too_many_runs"
  | "no_run"
  | "upstream"
  | "upstream_timeout"
  | "internal";

export interface WebErrorBody {
  error: { code: WebErrorCode; message: string };
}

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: WebErrorCode,
    message: string,
  ) {
    super(message);
  }

  get body(): WebErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * Any failure as an HttpError. The OpenCode server's own failures keep their wording (already
 * written for people, never holding a password): a 404 stays a 404, a bad request a 400, the
 * rest is the upstream server's fault (502, or 504 on a timeout).
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ApiError) {
    if (error.isNotFound) return new HttpError(404, "not_found", error.message);
    if (error.status === 400) return new HttpError(400, "bad_request", error.message);
    return new HttpError(502, "upstream", error.message);
  }
  if (error instanceof OpenCodeError) {
    return new HttpError(error.code === "timeout" ? 504 : 502, error.code === "timeout" ? "upstream_timeout" : "upstream", error.message);
  }
  return new HttpError(500, "internal", "pocketpaw failed unexpectedly; see its console output for details.");
}
