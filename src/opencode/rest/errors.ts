import { BackendError } from "../../agent/errors.js";

/**
 * One error class per way talking to an OpenCode server can fail, so callers pick exit codes
 * and wording from the class (or `code`), never by parsing messages. Messages are sentences a
 * person can act on, and never contain a password or an Authorization header.
 */
export class OpenCodeError extends BackendError {}

/** Nothing answered: refused, DNS failure, reset before an answer. */
export class UnreachableError extends OpenCodeError {
  constructor(
    readonly url: string,
    /** What went wrong, e.g. "connection refused". */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      "unreachable",
      `Cannot reach the OpenCode server at ${url} (${detail}). Is it running? Start it with ` +
        `\`opencode serve --port ${URL.canParse(url) ? new URL(url).port || (url.startsWith("https:") ? 443 : 80) : 4096}\` ` +
        "or point POCKETPAW_OPENCODE_BASE_URL at it.",
      options,
    );
  }
}

export class AuthError extends OpenCodeError {
  constructor(
    url: string,
    status: number,
    hadCredentials: boolean,
    /** The refusal's content type: OpenCode 1.x refuses with an empty or plain body, OpenCode 2 with its web page. */
    readonly contentType = "",
  ) {
    super(
      "auth",
      hadCredentials
        ? `The OpenCode server at ${url} refused the credentials (HTTP ${status}). Check POCKETPAW_OPENCODE_USERNAME and POCKETPAW_OPENCODE_PASSWORD (the server's OPENCODE_SERVER_USERNAME / OPENCODE_SERVER_PASSWORD).`
        : `The OpenCode server at ${url} needs a password (HTTP ${status}). Set POCKETPAW_OPENCODE_PASSWORD to the server's OPENCODE_SERVER_PASSWORD.`,
    );
  }
}

/** Something answered, but not as an OpenCode server does (an HTML page, a proxy, another app). */
export class NotOpenCodeError extends OpenCodeError {
  constructor(url: string, detail: string) {
    super("not_opencode", `${url} does not look like an OpenCode server: ${detail}. Check POCKETPAW_OPENCODE_BASE_URL.`);
  }
}

export class TimeoutError extends OpenCodeError {
  constructor(what: string, ms: number) {
    super(
      "timeout",
      `The OpenCode server did not answer ${what} within ${ms / 1000} s. Raise POCKETPAW_OPENCODE_TIMEOUT_MS if it is just slow.`,
    );
  }
}

export class UnsupportedVersionError extends OpenCodeError {
  constructor(
    url: string,
    /** As the server reported it, or a description ("older than 1.1") when it has no health route. */
    override readonly version: string,
    detail: string,
  ) {
    super("unsupported_version", `The OpenCode server at ${url} is version ${version}: ${detail}`);
  }
}

/** The server understood the request and refused it (4xx/5xx with an OpenCode error body). */
export class ApiError extends OpenCodeError {
  constructor(
    readonly status: number,
    /** OpenCode's error name, e.g. "NotFoundError", "BadRequest"; "" when the body had none. */
    readonly errorName: string,
    detail: string,
    what: string,
  ) {
    super(
      status === 400
        ? "bad_request"
        : status === 404 || errorName === "NotFoundError"
          ? "not_found"
          : status === 409
            ? "session"
            : "protocol",
      `The OpenCode server rejected ${what} (HTTP ${status}${errorName ? ` ${errorName}` : ""}): ${detail}`,
    );
  }

  get isNotFound(): boolean {
    return this.status === 404 || this.errorName === "NotFoundError";
  }

  /** The session is busy (a run is going on): 409 `SessionBusyError` (1.18). */
  get isBusy(): boolean {
    return this.status === 409;
  }
}

/** The server answered that it has no such session (404, or 400 for an id it cannot read: 1.2). */
export function isSessionGone(error: unknown): boolean {
  return error instanceof ApiError && (error.isNotFound || error.status === 400);
}

/** Removes credentials from a URL before it appears in any message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = "";
      u.password = "";
    }
    u.searchParams.delete("auth_token");
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}
