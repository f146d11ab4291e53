import type { Context } from "hono";
import type { z } from "zod";
import { HttpError } from "./http-error.js";
import { ConversationKey, validate } from "./schemas.js";

/** What the API's routes read from a request, checked. */

/** The `{key}` of a conversation route, checked. */
export function keyParam(c: Context): string {
  return validate(ConversationKey, c.req.param("key"), "conversation key");
}

export function notFound(key: string): HttpError {
  return new HttpError(404, "not_found", `There is no conversation "${key}" on this OpenCode server and directory.`);
}

/** The JSON body of a request, checked against its schema. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S, what: string): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", `Send the ${what} as JSON, with Content-Type: application/json.`);
  }
  let value: unknown;
  try {
    value = await c.req.json();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, "bad_request", `The ${what} is not valid JSON.`);
  }
  return validate(schema, value, what);
}
