import type { ConversationRecord } from "../sessions/store.js";
import type { Colors } from "./colors.js";
import { ago, columns } from "./format.js";
import { safeText } from "./safe-text.js";

/**
 * Remembered conversations as a listing, newest first: key, title, last use, model; the current
 * one marked. `pocketpaw sessions` and the chat's /sessions both show it.
 */
export function conversationLines(
  records: ConversationRecord[],
  c: Colors,
  options: { current?: string; withServer?: boolean; now?: number } = {},
): string[] {
  const now = options.now ?? Date.now();
  const header = ["", "KEY", "TITLE", "LAST USED", "MODEL", ...(options.withServer ? ["SERVER", "DIRECTORY"] : [])];
  // Titles are first messages, or whatever a client of the HTTP API renamed them to.
  const rows = records.map((r) =>
    [
      r.key === options.current ? "*" : "",
      r.key,
      r.title,
      ago(r.lastUsedAt, now),
      r.model || "default",
      ...(options.withServer ? [r.serverUrl, r.directory || "(server's own)"] : []),
    ].map(safeText),
  );
  return columns([header, ...rows], (text, row, column) => {
    if (row === 0) return c.dim(text);
    if (column === 1) return c.cyan(text);
    if (column === 0) return c.green(text);
    return column >= 3 ? c.dim(text) : text;
  });
}

/** The next unused key of the form `cli:N` (`cli:default` counts as the first). */
export function nextConversationKey(records: ConversationRecord[]): string {
  let highest = 1;
  for (const r of records) {
    const n = /^cli:(\d+)$/.exec(r.key)?.[1];
    if (n !== undefined) highest = Math.max(highest, Number(n));
  }
  return `cli:${highest + 1}`;
}
