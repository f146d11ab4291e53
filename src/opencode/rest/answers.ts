/**
 * Reading what an OpenCode server (or the network) said when a call failed: the error body in
 * any of the shapes releases use, and a network failure in a few words.
 */

/** A short, one-line preview of a body for messages. */
export function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat || "(empty)";
}

/**
 * OpenCode's error bodies: `{name, data:{message}}` (1.15+), zod's `{error:[…], success:false}`
 * (1.2), or the Effect routes' `{_tag, message}` (1.18: the question, revert and fork routes).
 */
export function errorBody(text: string): { name: string; message: string } {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const data = body.data as Record<string, unknown> | undefined;
    const name = typeof body.name === "string" ? body.name : typeof body._tag === "string" ? body._tag : "";
    if (typeof data?.message === "string") return { name, message: data.message };
    if (Array.isArray(body.error)) {
      const issues = body.error as Array<{ message?: string; path?: unknown[] }>;
      const message = issues.map((i) => `${i.path?.join(".") ?? ""} ${i.message ?? ""}`.trim()).join("; ");
      return { name: name || "BadRequest", message: message || preview(text) };
    }
    if (typeof body.message === "string") return { name, message: body.message };
    return { name, message: preview(text) };
  } catch {
    return { name: "", message: preview(text) };
  }
}

export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection reset";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    default:
      return cause?.message ?? (error instanceof Error ? error.message : String(error));
  }
}
