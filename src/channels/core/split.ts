import type { Block } from "./markup.js";

/**
 * Blocks packed into as few messages as the platform's length limit allows, in order. A block
 * too long for one message is cut up by its source (a code block into several code blocks, a
 * paragraph at line breaks or spaces), each piece rendered on its own, so no message ever ends
 * inside a tag or an entity.
 */
export function paginate(blocks: Block[], limit: number, measure: (text: string) => number): string[] {
  const pages: string[] = [];
  let page = "";
  for (const b of blocks) {
    const pieces = fit(b, limit, measure);
    pieces.forEach((piece, i) => {
      const joiner = i === 0 && b.tight ? "\n" : "\n\n";
      const joined = page ? `${page}${joiner}${piece}` : piece;
      if (measure(joined) <= limit) {
        page = joined;
        return;
      }
      if (page) pages.push(page);
      page = piece;
    });
  }
  if (page) pages.push(page);
  return pages;
}

/**
 * The block as pieces of at most `limit` each: the longest prefix of its source that renders
 * within the limit (found by bisection), cut back to a line break or else a space when one is
 * in its second half, then the same for the rest. A single character that renders longer stays whole.
 */
function fit(b: Block, limit: number, measure: (text: string) => number): string[] {
  if (measure(b.text) <= limit) return b.text ? [b.text] : [];
  const pieces: string[] = [];
  let rest = b.source;
  while (rest) {
    const whole = b.render(rest);
    if (measure(whole) <= limit) {
      pieces.push(whole);
      break;
    }
    let fits = 1;
    let tooLong = rest.length;
    while (tooLong - fits > 1) {
      const middle = Math.floor((fits + tooLong) / 2);
      if (measure(b.render(rest.slice(0, middle))) <= limit) fits = middle;
      else tooLong = middle;
    }
    const { end, next } = cutBack(rest, fits);
    const piece = rest.slice(0, end);
    if (piece.trim()) pieces.push(b.render(piece));
    rest = rest.slice(next);
  }
  return pieces;
}

/** Where a prefix of `length` characters should end, and where the rest begins (after the separator). */
function cutBack(text: string, length: number): { end: number; next: number } {
  for (const separator of ["\n", " "]) {
    const at = text.lastIndexOf(separator, length);
    if (at > length / 2 && at <= length) return { end: at, next: at + 1 };
  }
  // Not between the two halves of a surrogate pair (an emoji).
  const code = text.charCodeAt(length - 1);
  const end = code >= 0xd800 && code <= 0xdbff && length > 1 ? length - 1 : length;
  return { end, next: end };
}
