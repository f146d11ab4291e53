import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { HttpError } from "./http-error.js";

/**
 * Who may use the dashboard and its API.
 *
 * - Loopback only by default. Bound to any other address, pocketpaw refuses to start without a
 *   token, and then every request needs it (a cookie set by opening `/?token=…` once, or
 *   `Authorization: Bearer …` for scripts and channels).
 * - Browsers from other origins are refused: an `Origin` that is not this server's own, or a
 *   `Sec-Fetch-Site` other than same-origin/none on the API. Without this any web page the user
 *   visits could drive the agent on localhost (CSRF) or read transcripts.
 * - On loopback the `Host` header must name loopback too: a DNS-rebinding page (evil.example
 *   resolving to 127.0.0.1) is same-origin with itself, so the Origin check alone cannot stop it.
 *
 * Written here rather than with Hono's csrf middleware, which checks only form-like content types
 * (it relies on CORS preflight for the rest) and knows nothing of Host or reading requests.
 */
export interface AccessOptions {
  /** Required on every request when non-empty. */
  token: string;
  /** The server listens on loopback only: requests must be addressed to loopback names. */
  loopback: boolean;
}

/**
 * The page's cookie. Cookies are not kept apart by port: every other HTTP service on this host
 * gets it too. So it never holds the token itself, only a value derived from it (HMAC-SHA256 of a
 * fixed label, keyed with the token: it proves the token was given, survives restarts, and is
 * worth nothing anywhere else), and it is named after the port the browser sees, so that two
 * pocketpaws on one host do not overwrite each other's.
 */
export function sessionCookieName(hostHeader: string): string {
  return `pocketpaw_session_${parseHost(hostHeader).port || "80"}`;
}

export function sessionCookieValue(token: string): string {
  return createHmac("sha256", token).update("pocketpaw dashboard session v1").digest("base64url");
}

/** Addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return (
    h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
  );
}

export class UnsafeListenError extends Error {}

/** Refuses to listen beyond loopback without a token. */
export function checkListenAddress(host: string, token: string): void {
  if (isLoopbackHost(host) || token) return;
  throw new UnsafeListenError(
    `Refusing to serve on ${host} without an access token: anyone who can reach that address could use your agent. ` +
      "Set POCKETPAW_DASHBOARD_TOKEN to a secret of at least 16 characters (e.g. `openssl rand -hex 24`), or listen on 127.0.0.1.",
  );
}

/** A Host header as a URL sees it ("LocalHost:80" → "localhost"); "" when it is not one. */
function parseHost(hostHeader: string): { host: string; hostname: string; port: string } {
  const none = { host: "", hostname: "", port: "" };
  try {
    const url = new URL(`http://${hostHeader}`);
    return url.username || url.password || url.pathname !== "/" ? none : { host: url.host, hostname: url.hostname, port: url.port };
  } catch {
    return none;
  }
}

const normalHost = (hostHeader: string) => parseHost(hostHeader).host;

function sameToken(given: string, expected: string): boolean {
  // Compared as digests: equal length, constant time.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function isApi(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

export function accessGuard(options: AccessOptions): MiddlewareHandler {
  const sessionValue = options.token ? sessionCookieValue(options.token) : "";
  return async (c, next) => {
    const path = c.req.path;
    const host = c.req.header("host") ?? "";
    if (options.loopback && !isLoopbackHost(parseHost(host).hostname)) {
      throw new HttpError(
        403,
        "forbidden",
        `This pocketpaw answers only requests addressed to this machine (localhost, 127.0.0.1 or [::1]), not "${host.slice(0, 100)}".`,
      );
    }
    checkOrigin(c, host, isApi(path));
    if (options.token) {
      // Opening the page with ?token= once stores it in a cookie the page's own requests carry,
      // and takes it out of the address bar (and of the history).
      const fromQuery = c.req.query("token");
      const cookie = sessionCookieName(host);
      if (fromQuery !== undefined && c.req.method === "GET" && !isApi(path)) {
        if (!sameToken(fromQuery, options.token)) throw unauthorized(path);
        const secure = overHttps(c);
        setCookie(c, cookie, sessionValue, { httpOnly: true, sameSite: "Strict", path: "/", secure });
        const url = new URL(c.req.url);
        url.searchParams.delete("token");
        // Only to a path of this server: "//evil.example/" would be another site's address.
        return c.redirect(`${url.pathname.replace(/^[/\\]+/, "/")}${url.search}`, 303);
      }
      const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
      const session = getCookie(c, cookie);
      const valid = bearer !== undefined ? sameToken(bearer, options.token) : session !== undefined && sameToken(session, sessionValue);
      if (!valid) throw unauthorized(path);
    }
    await next();
  };
}

function checkOrigin(c: Context, host: string, api: boolean): void {
  const origin = c.req.header("origin");
  if (origin !== undefined && hostOfOrigin(origin) !== normalHost(host)) throw foreign(origin);
  // Browsers label every request with where it comes from; a top-level navigation to the page
  // from elsewhere is fine (a link), anything else from another site is not. Requests without
  // the label come from outside a browser (curl, a channel): no ambient credentials to abuse.
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    const reading = c.req.method === "GET" || c.req.method === "HEAD";
    const navigation = reading && !api && c.req.header("sec-fetch-mode") === "navigate";
    if (!navigation) throw foreign(origin ?? `a ${site} page`);
  }
}

/** "host:port" of an http(s) origin; undefined for "null" (sandboxed frames, file://) and the like. */
function hostOfOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === "http:" || url.protocol === "https:" ? url.host : undefined;
  } catch {
    return undefined;
  }
}

function foreign(origin: string): HttpError {
  return new HttpError(
    403,
    "forbidden",
    `Requests from other sites are refused (from ${origin.slice(0, 100)}). Use the dashboard served by this pocketpaw, or call the API from outside a browser.`,
  );
}

function unauthorized(path: string): HttpError {
  return new HttpError(
    401,
    "unauthorized",
    isApi(path)
      ? "This pocketpaw needs its access token: send `Authorization: Bearer <POCKETPAW_DASHBOARD_TOKEN>`."
      : "This dashboard needs its access token: open it once as /?token=<POCKETPAW_DASHBOARD_TOKEN>.",
  );
}

/** The request reached the TLS proxy in front of this server over https (pocketpaw itself serves plain http). */
function overHttps(c: Context): boolean {
  return c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
}

/**
 * Headers that keep model output inert even if something slipped through the sanitiser: no
 * inline or foreign scripts, no foreign images (which could carry conversation text away in a
 * URL), no framing, no plugins, no referrer.
 */
export function pageHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: "no-referrer",
    xFrameOptions: "DENY",
    crossOriginResourcePolicy: "same-origin",
    // HSTS is only for responses that came over https: see strictTransport().
    strictTransportSecurity: false,
  });
}

/** Strict-Transport-Security, only when the request came over https (through a TLS proxy that says so). */
export function strictTransport(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (overHttps(c)) c.header("Strict-Transport-Security", "max-age=15552000; includeSubDomains");
  };
}
