import type { ErrorCode } from "../agent/events.js";

/** The CLI's exit codes: scripts branch on these. */
export const EXIT = {
  ok: 0,
  /** The turn ended with an error event (provider failure, max turns, …). */
  failed: 1,
  /** Bad usage or settings. */
  usage: 2,
  /** The server is unreachable, is not OpenCode, or refuses the credentials. */
  server: 3,
  /** Interrupted (Ctrl-C): the turn was stopped on the server, or a second Ctrl-C quit at once. */
  interrupted: 130,
} as const;

const SERVER_CODES: ReadonlySet<ErrorCode> = new Set(["unreachable", "auth", "not_opencode", "unsupported_version"]);

export function exitCodeFor(code: ErrorCode): number {
  if (SERVER_CODES.has(code)) return EXIT.server;
  if (code === "bad_request") return EXIT.usage;
  return EXIT.failed;
}
