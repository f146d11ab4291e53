import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type ApiDeps, apiRoutes } from "./api.js";
import { HttpError, toHttpError } from "./http-error.js";
import { type AccessOptions, accessGuard, pageHeaders } from "./security.js";
import { loadAssets, serveAssets } from "./static-assets.js";

/** Request bodies larger than this are refused (the biggest valid one is a 100,000-character message). */
export const MAX_BODY_BYTES = 512 * 1024;

export type DashboardAppOptions = ApiDeps & AccessOptions;

/** The whole HTTP surface: security first, then the API under /api, then the page and its files. */
export function dashboardApp(options: DashboardAppOptions): Hono {
  const app = new Hono();
  const assets = loadAssets();
  app.use("*", pageHeaders());
  app.use("*", accessGuard(options));
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new HttpError(413, "payload_too_large", `The request body is larger than ${MAX_BODY_BYTES / 1024} KB.`);
      },
    }),
  );
  app.route("/api", apiRoutes(options));
  serveAssets(app, assets);

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/")) {
      return c.json(new HttpError(404, "not_found", `There is no ${c.req.method} ${c.req.path} in this API; see /api/openapi.json.`).body, 404);
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
