import { randomBytes } from "node:crypto";

/**
 * Message ids in OpenCode's own format, so the client can name its prompt's user message up
 * front (`messageID` in the prompt body) and know, from the first event on, which assistant
 * messages answer it (their `parentID`), even after a gap in the event stream.
 *
 * Format (OpenCode's ascending identifier): `msg_` + 12 hex digits of the low 48 bits of
 * `milliseconds * 0x1000 + counter` + 14 base62 characters. The server sorts a session's messages
 * by id, and its prompt loop expects a new user message to sort after every earlier message; so
 * an id is never made smaller than one already seen in the session (a client clock behind the
 * server's would otherwise put the prompt in the past).
 */
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const MASK_48 = (1n << 48n) - 1n;

let lastMs = 0;
let counter = 0;

function randomBase62(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

function hex48(value: bigint): string {
  return (value & MASK_48).toString(16).padStart(12, "0");
}

/** A new ascending message id, later than `after` (an id already seen in the session) if given. */
export function newMessageId(after?: string): string {
  const now = Date.now();
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  let stamp = hex48(BigInt(now) * 0x1000n + BigInt(counter));
  const previous = after?.startsWith("msg_") ? after.slice(4, 16) : undefined;
  if (previous && /^[0-9a-f]{12}$/.test(previous) && stamp <= previous) {
    stamp = hex48(BigInt(`0x${previous}`) + 1n);
  }
  return `msg_${stamp}${randomBase62(14)}`;
}
