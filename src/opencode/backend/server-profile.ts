/**
 * What pocketpaw knows about an OpenCode server once it has its version (from
 * `GET /global/health`): whether that release is supported, and the details in which releases
 * differ. This is the ONE place where OpenCode versions are told apart (README, "Supported
 * OpenCode versions", says which releases are tested and how).
 *
 * Most differences are absorbed by code that tolerates both forms (the client reads both error
 * body shapes, the translator never relies on payload ids and ends a turn only when the
 * answering messages are complete); the profile names them so that code which does need to
 * branch asks here, and so that `health` / `doctor` can say what they are talking to.
 */

/** How the server streams a turn: the real server's event stream, or the seed's NDJSON answer. */
export type Protocol = "events" | "ndjson";

/** The releases the version suite runs against (`npm run test:versions`), oldest first. */
export const TESTED_VERSIONS = ["1.2.6", "1.14.34", "1.15.13", "1.18.33"] as const;
/**
 * The oldest release pocketpaw drives. 1.2 is the first with `message.part.delta`; 1.1 streams
 * text inside `message.part.updated` and 1.0 also lacks `/global/health`, `/permission` and
 * session permission rules (so "ask before bash" silently does nothing): refused, never half run.
 */
export const OLDEST_SUPPORTED = "1.2.0";
const NEWEST_TESTED = TESTED_VERSIONS[TESTED_VERSIONS.length - 1] as string;
const UPGRADE = "upgrade to 1.2 or later (`npm install -g opencode-ai@latest`)";

export type SupportStatus =
  /** One of TESTED_VERSIONS. */
  | "tested"
  /** Between the oldest supported and the newest tested release. */
  | "supported"
  /** Newer than the newest tested release: driven, with a warning. */
  | "newer"
  /** Older than 1.2: refused at the health check. */
  | "too_old"
  /** Not a release number (a development build, the seed protocol's server): driven as is. */
  | "unknown";

export interface VersionSupport {
  status: SupportStatus;
  /** Whether pocketpaw runs turns on this server (everything but too_old). */
  usable: boolean;
  /** One sentence for people (`pocketpaw health`, `doctor`). */
  summary: string;
}

/** Whether a release is supported, and a sentence saying so. For `health` and `doctor`. */
export function supportOf(version: string): VersionSupport {
  const v = parseVersion(version);
  if (!v) {
    return { status: "unknown", usable: true, summary: `unknown: "${version}" is not an OpenCode release number; pocketpaw is tested with ${listTested()}.` };
  }
  if ((TESTED_VERSIONS as readonly string[]).includes(version)) {
    return { status: "tested", usable: true, summary: `supported: OpenCode ${version} is tested with pocketpaw.` };
  }
  if (compareVersions(version, OLDEST_SUPPORTED) < 0) {
    return { status: "too_old", usable: false, summary: `this OpenCode version is too old for pocketpaw; ${UPGRADE}.` };
  }
  if (compareVersions(version, NEWEST_TESTED) > 0) {
    return { status: "newer", usable: true, summary: `untested: newer than the newest tested release (${NEWEST_TESTED}): it should work; please report anything that does not.` };
  }
  return { status: "supported", usable: true, summary: `supported: OpenCode ${version} is within the tested range (${listTested()}).` };
}

/** The sentence for a server too old to have `/global/health` at all (1.0.x and older). */
export const NO_HEALTH_ROUTE = `this OpenCode version is too old for pocketpaw (it has no /global/health); ${UPGRADE}.`;
/** What such a server is, as far as can be told (1.0.185 has no /global/health, 1.1.65 has). */
export const NO_HEALTH_ROUTE_VERSION = "1.0.x or older";

/**
 * The details in which supported releases differ, measured on 1.2.6, 1.14.34, 1.15.13 and
 * 1.18.33 (a release between two measured ones is taken to behave like the older one). Each
 * says how pocketpaw copes; none needs a special case in the translator.
 */
export interface ServerQuirks {
  /**
   * After an abort, 1.2 sends idle → `session.error` → idle → the assistant's `message.updated`
   * with the error, and never ends the aborted text part: it stays stored as "" (what streamed
   * live is all there is). Later releases send error → idle → the final text part → the
   * assistant's update → idle. Either way the translator ends the run on the assistant's update
   * (or storage), never on the first idle.
   */
  abortEndsTextPart: boolean;
  /**
   * 1.2 trims trailing whitespace from a text part when it ends, so the stored text can be
   * shorter than the deltas that streamed. Text is completed from the final form by suffix only
   * (the start is never trimmed), so nothing is lost or repeated; a trailing space may differ.
   */
  trimsEndedText: boolean;
  /**
   * On 1.14.34 an abort that lands just as a new step begins can leave that step's assistant
   * message open for good (no error, no completion), in the stream and in storage. The
   * translator ends a stopped, or long idle, run once the server reports the session idle.
   */
  abortCanStrandStep: boolean;
  /** Payloads carry their own `id` (`evt_…`), 1.14 and later. Informative: never relied on. */
  eventIds: boolean;
  /**
   * The 400 body: zod's `{data, error:[…], success:false}` before 1.15, `{name:"BadRequest",
   * data:{message, kind}}` since. The client reads both.
   */
  errorBody: "zod" | "named";
  /**
   * An unknown route: 500 JSON `UnknownError` on 1.2 (and 1.0/1.1), the web UI (200 HTML) since
   * 1.14. The client checks the content type; the health check treats both as "route missing".
   */
  unknownRoute: "json-500" | "html-200";
  /** `MessageAbortedError`'s message ("The operation was aborted." / "Aborted"): errors are matched on their name. */
  abortedMessage: string;
  /**
   * The blocking `POST /session/{id}/message` sends its headers at once before 1.15, only at the
   * end since. pocketpaw prompts with `prompt_async` and follows `/event`, so it never waits on it.
   */
  blockingPromptHeadersAtOnce: boolean;
  /** Sessions carry `cost`, `tokens` and `path` (1.14 and later). Usage is read from messages instead. */
  sessionUsage: boolean;
  /**
   * `node_modules/.bin/opencode` is a Node wrapper before 1.15: SIGTERM to it orphans the real
   * server. managed-server.ts always starts the platform binary, in its own process group.
   */
  npmWrapper: boolean;
}

export interface ServerProfile {
  protocol: Protocol;
  version: string;
  support: VersionSupport;
  quirks: ServerQuirks;
}

export function profileFor(version: string, protocol: Protocol = "events"): ServerProfile {
  // A version that is not a release number (dev build, seed server) is taken to be current.
  const since = (release: string) => !parseVersion(version) || compareVersions(version, release) >= 0;
  return {
    protocol,
    version,
    support: supportOf(version),
    quirks: {
      abortEndsTextPart: since("1.14.34"),
      trimsEndedText: !since("1.14.34"),
      abortCanStrandStep: since("1.14.34") && !since("1.15.13"),
      eventIds: since("1.14.34"),
      errorBody: since("1.15.13") ? "named" : "zod",
      unknownRoute: since("1.14.34") ? "html-200" : "json-500",
      abortedMessage: since("1.14.34") ? "Aborted" : "The operation was aborted.",
      blockingPromptHeadersAtOnce: !since("1.15.13"),
      sessionUsage: since("1.14.34"),
      npmWrapper: !since("1.15.13"),
    },
  };
}

/**
 * Whether an OpenAPI document (`GET /doc`) is OpenCode's: a server without `/global/health`
 * that has one is an OpenCode release older than 1.1.
 */
export function isOpenCodeApiDoc(doc: unknown): boolean {
  if (typeof doc !== "object" || doc === null) return false;
  const { info, paths } = doc as { info?: { title?: unknown }; paths?: unknown };
  return info?.title === "opencode" && typeof paths === "object" && paths !== null && "/session" in paths;
}

type Triple = [number, number, number];

/** "1.14.34" (or "v1.14.34", "1.14.34-beta.1") → [1, 14, 34]; a development build "0.0.0-…" or anything else → undefined. */
export function parseVersion(version: string): Triple | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return undefined;
  const triple: Triple = [Number(m[1]), Number(m[2]), Number(m[3])];
  return triple.every((n) => n === 0) ? undefined : triple;
}

/** Orders two release numbers; a prerelease suffix is ignored. Unparsable ones sort last. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return (x ? 0 : 1) - (y ? 0 : 1);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

function listTested(): string {
  return `${TESTED_VERSIONS.slice(0, -1).join(", ")} and ${NEWEST_TESTED}`;
}
