import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type ApiDeps, apiRoutes } from "./api.js";
import { formatBytes } from "./attachments.js";
import { HttpError, toHttpError } from "./http-error.js";
import { MAX_MESSAGE_BODY_BYTES } from "./schemas.js";
import { type AccessOptions, accessGuard, pageHeaders, strictTransport } from "./security.js";
import { loadAssets, serveAssets } from "./static-assets.js";

/**
 * Request bodies larger than this are refused (the biggest valid one is a 100,000-character
 * message); a message, which may carry files, up to MAX_MESSAGE_BODY_BYTES.
 */
export const MAX_BODY_BYTES = 512 * 1024;

/** POST /api/conversations/{key}/messages: the one route with the larger limit. */
const MESSAGES = /^\/api\/conversations\/[^/]+\/messages$/;

export type DashboardAppOptions = ApiDeps & AccessOptions;

/** The whole HTTP surface: security first, then the API under /api, then the page and its files. */
export function dashboardApp(options: DashboardAppOptions): Hono {
  const app = new Hono();
  const assets = loadAssets();
  app.use("*", pageHeaders());
  app.use("*", strictTransport());
  app.use("*", accessGuard(options));
  const limit = (maxSize: number, what: string) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new HttpError(413, "payload_too_large", `The request body is larger than ${formatBytes(maxSize)}${what}.`);
      },
    });
  const requestLimit = limit(MAX_BODY_BYTES, "");
  const messageLimit = limit(MAX_MESSAGE_BODY_BYTES, " (a message's files may hold about 10 MB in all)");
  app.use("/api/*", (c, next) => (c.req.method === "POST" && MESSAGES.test(c.req.path) ? messageLimit : requestLimit)(c, next));
  app.route("/api", apiRoutes(options));
  const allowed = apiMethods(app);
  serveAssets(app, assets);

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/")) {
      const methods = allowed(c.req.path);
      if (methods.length > 0) {
        c.header("Allow", methods.join(", "));
        const message = `${c.req.path} answers ${methods.join(", ")}, not ${c.req.method}; see /api/openapi.json.`;
        return c.json(new HttpError(405, "method_not_allowed", message).body, 405);
      }
      return c.json(
        new HttpError(404, "not_found", `There is no ${c.req.method} ${c.req.path} in this API; see /api/openapi.json.`).body,
        404,
      );
    }
    return c.text("Not found.", 404);
  });
  app.onError((error, c) => {
    const http = toHttpError(error);
    if (http.status >= 500 && http.code === "internal") console.error(error);
    if (http.retryAfter !== undefined) c.header("Retry-After", String(http.retryAfter));
    // The rest of a refused body is never read: the connection cannot carry another request.
    if (http.status === 413) c.header("Connection", "close");
    if (!c.req.path.startsWith("/api/") && c.req.header("accept")?.includes("text/html")) return c.text(http.message, http.status);
    return c.json(http.body, http.status);
  });
  return app;
}

/** The methods the API's routes answer at a path (HEAD with GET), for a 405's Allow header; none for an unknown path. */
function apiMethods(app: Hono): (path: string) => string[] {
  const routes = app.routes
    .filter((route) => route.method !== "ALL" && route.path.startsWith("/api/"))
    .map((route) => {
      const pattern = route.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+");
      return { method: route.method, pattern: new RegExp(`^${pattern}$`) };
    });
  return (path) => {
    const methods = new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods];
  };
}
