import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";

/**
 * The dashboard's files, served by the same process: the page, its modules and styles (plain
 * browser JavaScript in ./static, no build step), and the browser builds of the libraries it
 * uses, straight from node_modules. Everything is read once at start-up into memory; a request
 * can only ever get one of these files (no path from the URL touches the file system).
 *
 * The files are in src/web/static/ when run from source, and in dist/web/static/ after `npm run
 * build` (scripts/build.mjs copies them there), where this module is bundled into dist/cli/: the
 * path "../web/static/" from this module's folder is right in both.
 */
const STATIC_DIR = fileURLToPath(new URL("../web/static/", import.meta.url));

/** URL under /vendor/ → module specifier resolved from this package's dependencies. */
const VENDOR: Record<string, string> = {
  "marked.js": "marked",
  "purify.js": "dompurify",
  "highlight.js": "@highlightjs/cdn-assets/es/highlight.min.js",
  "highlight-light.css": "@highlightjs/cdn-assets/styles/github.min.css",
  "highlight-dark.css": "@highlightjs/cdn-assets/styles/github-dark.min.css",
  "eventsource-parser.js": "eventsource-parser",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webmanifest": "application/manifest+json",
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** @param name the name it is served under, which gives its type (dompurify's file is .mjs) */
function asset(file: string, name: string): Asset {
  const body = readFileSync(file);
  return {
    body,
    type: TYPES[extname(name)] ?? "application/octet-stream",
    etag: `"${createHash("sha1").update(body).digest("base64url")}"`,
  };
}

/** Every servable file by URL path. Fails at start-up (not at the first request) if one is missing. */
export function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(STATIC_DIR)) {
    // The folder also holds its type-checking setup (tsconfig.json, *.d.ts): not for browsers.
    if (!(extname(name) in TYPES) || name.endsWith(".d.ts")) continue;
    assets.set(`/${name}`, asset(join(STATIC_DIR, name), name));
  }
  const index = assets.get("/index.html");
  if (!index) throw new Error(`The dashboard's page is missing from ${STATIC_DIR}: rebuild pocketpaw (npm run build).`);
  assets.set("/", index);
  for (const [name, specifier] of Object.entries(VENDOR)) {
    assets.set(`/vendor/${name}`, asset(fileURLToPath(import.meta.resolve(specifier)), name));
  }
  return assets;
}

export function serveAssets(app: Hono, assets: Map<string, Asset>): void {
  app.on(["GET", "HEAD"], "*", (c, next) => {
    const found = assets.get(c.req.path);
    if (!found) return next();
    // Revalidated on every load (cheap: 304), so an upgraded pocketpaw never serves a stale page.
    c.header("Cache-Control", "no-cache");
    c.header("ETag", found.etag);
    if (c.req.header("if-none-match") === found.etag) return c.body(null, 304);
    c.header("Content-Type", found.type);
    return c.body(new Uint8Array(found.body));
  });
}
