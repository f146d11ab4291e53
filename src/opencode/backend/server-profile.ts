import type { VersionSupport } from "../../agent/backend.js";

/**
 * What pocketpaw knows about an OpenCode server once it has its version (from
 * `GET /global/health`): whether that release is supported, and the details in which releases
 * differ. This is the ONE place where OpenCode versions are told apart (README, "Supported
 * OpenCode versions", says which releases are tested and how): code that branches on the release
 * reads the profile's quirks; the differences absorbed without a branch are listed below them.
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

/**
 * tested: one of TESTED_VERSIONS; supported: between the oldest supported and the newest tested
 * release; newer: driven, with a warning; too_old: older than 1.2, refused at the health check;
 * unknown: not a release number (a development build, the seed protocol's server), driven as is.
 */
export type SupportStatus = VersionSupport["status"];

/** Whether a release is supported, and a sentence saying so. For `health` and `doctor`. */
export function supportOf(version: string): VersionSupport {
  const v = parseVersion(version);
  if (!v) {
    return {
      status: "unknown",
      usable: true,
      summary: `unknown: "${version}" is not an OpenCode release number; pocketpaw is tested with ${listTested()}.`,
    };
  }
  if (v[0] >= 2) return { status: "newer", usable: false, summary: OPENCODE_2 };
  if ((TESTED_VERSIONS as readonly string[]).includes(version)) {
    return { status: "tested", usable: true, summary: `supported: OpenCode ${version} is tested with pocketpaw.` };
  }
  if (compareVersions(version, OLDEST_SUPPORTED) < 0) {
    return { status: "too_old", usable: false, summary: `this OpenCode version is too old for pocketpaw; ${UPGRADE}.` };
  }
  if (compareVersions(version, NEWEST_TESTED) > 0) {
    return {
      status: "newer",
      usable: true,
      summary: `untested: newer than the newest tested release (${NEWEST_TESTED}): it should work; please report anything that does not.`,
    };
  }
  return { status: "supported", usable: true, summary: `supported: OpenCode ${version} is within the tested range (${listTested()}).` };
}

/**
 * OpenCode 2 is another program (npm `@opencode-ai/cli`, a per-user service): its API is under
 * `/api/*`, with other routes, events and bodies, and it always asks for a generated password.
 */
export const OPENCODE_2 =
  "this is OpenCode 2, whose API (/api/…) pocketpaw does not drive. Run an OpenCode 1.x server for pocketpaw: `npm install -g opencode-ai@1`, then `opencode serve --port 4096`.";
/** What such a server is said to be when it does not tell its exact release. */
export const OPENCODE_2_VERSION = "2.x";

/** The sentence for a server too old to have `/global/health` at all (1.0.x and older). */
export const NO_HEALTH_ROUTE = `this OpenCode version is too old for pocketpaw (it has no /global/health); ${UPGRADE}.`;
/** What such a server is, as far as can be told (1.0.185 has no /global/health, 1.1.65 has). */
export const NO_HEALTH_ROUTE_VERSION = "1.0.x or older";

/**
 * The details in which supported releases differ and that behaviour reads, measured on 1.2.6
 * and 1.18.33 (a release between two measured ones is taken to behave like the older one; one
 * that is not a release number, like the newest).
 */
export interface ServerQuirks {
  /**
   * `prompt_async` to a session the server no longer has answers 404 (1.18.33), so a session
   * verified once can be trusted until a prompt says otherwise. 1.2.6 answers 204 and the turn
   * silently never starts, so there the session is looked up before every run
   * (backend/sessions.ts). Not measured on 1.14 and 1.15: looked up there too, which costs one
   * GET and is never wrong.
   */
  refusesPromptToMissingSession: boolean;
}

/*
 * The other measured differences (1.2.6, 1.14.34, 1.15.13, 1.18.33) need no branch: the code
 * that meets them takes both forms.
 * - After an abort, 1.2 sends idle, then the error, then idle, then the assistant's update, and
 *   never ends the aborted text part (stored as ""); later releases end it. The translator ends a
 *   run on the answering messages' completion (or storage), never on the first idle.
 * - 1.2 trims trailing whitespace from a text part when it ends: text is completed from the final
 *   form by suffix only, so nothing is lost or repeated.
 * - On 1.14.34 an abort landing as a step begins can leave that step's message open for good;
 *   the translator ends a stopped, or long idle, run once the session is idle (translate.ts).
 * - Error bodies: zod's `{error:[…], success:false}` before 1.15, `{name, data:{message}}` since;
 *   rest/client.ts reads both. Unknown routes: a 500 `UnknownError` on 1.2, the web UI (200 HTML)
 *   since 1.14; the client checks the content type and detect.ts takes both as "route missing".
 * - `MessageAbortedError`'s message differs; errors are matched on their name.
 * - Event payloads carry an `id` since 1.14: never relied on.
 * - A turn's diff (`GET /session/{id}/diff?messageID=`, git projects only) is a `patch` per file
 *   on 1.18.33, whole texts (`before`/`after`) on 1.2.6. 1.2.6 also loses the snapshot of a step
 *   that takes a few milliseconds (the scripted model's, not a real model's): its turn diff then
 *   misses files or repeats an earlier turn's. backend/changes.ts takes the previous turn's diff
 *   away and adds the turn's own file tools, which changes nothing where diffs are exact.
 * - An unknown agent: 204, then 1.18.33 fails the session without a user message and 1.2.6 does
 *   nothing. Runs check agents and commands against the server's lists first (catalog.ts).
 * - Answering a question nobody asks: 404 on 1.18.33 (`{_tag, message}` bodies), `true` on 1.2.6.
 * - `node_modules/.bin/opencode` is a Node wrapper before 1.15 that orphans the server on
 *   SIGTERM: local-server/managed-server.ts always starts the platform binary.
 * Releases before 1.2 (no `message.part.delta`; 1.0 also lacks /global/health, /permission and
 * session permission rules) are refused at the health check (detect.ts), so nothing handles them.
 */

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
      refusesPromptToMissingSession: since("1.18.33"),
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
