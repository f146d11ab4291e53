/**
 * Telegram's HTML parse mode as the fake Bot API applies it: the tags and attributes Telegram
 * documents (https://core.telegram.org/bots/api#html-style), properly nested, and `<`, `>`, `&`
 * only as tags or entities. What Telegram refuses is refused with its "can't parse entities"
 * wording; what it accepts yields the visible text, whose length the 4096 limit counts.
 */
const TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "tg-emoji",
  "code",
  "pre",
  "blockquote",
  "tg-time",
]);
const ATTRIBUTES: Record<string, RegExp> = {
  a: /^\s+href\s*=\s*"[^"]*"\s*$/,
  code: /^\s+class\s*=\s*"language-[^"]*"\s*$/,
  span: /^\s+class\s*=\s*"tg-spoiler"\s*$/,
  blockquote: /^\s+expandable\s*$/,
  "tg-emoji": /^\s+emoji-id\s*=\s*"\d+"\s*$/,
};
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

export type HtmlResult = { ok: true; text: string } | { ok: false; error: string };

export function parseTelegramHtml(html: string): HtmlResult {
  const fail = (why: string) => ({ ok: false as const, error: `Bad Request: can't parse entities: ${why}` });
  const byteOffset = (i: number) => Buffer.byteLength(html.slice(0, i));
  const open: string[] = [];
  let text = "";
  let i = 0;
  while (i < html.length) {
    const c = html[i] as string;
    if (c === "<") {
      const end = html.indexOf(">", i);
      if (end < 0) return fail(`Unclosed start tag at byte offset ${byteOffset(i)}`);
      const inside = html.slice(i + 1, end);
      if (inside.startsWith("/")) {
        const name = inside.slice(1).trim().toLowerCase();
        if (open.at(-1) !== name) return fail(`Unexpected end tag at byte offset ${byteOffset(i)}`);
        open.pop();
      } else {
        const name = (/^[a-z-]+/i.exec(inside)?.[0] ?? "").toLowerCase();
        if (!TAGS.has(name)) return fail(`Unsupported start tag "${name || inside.slice(0, 10)}" at byte offset ${byteOffset(i)}`);
        const attributes = inside.slice(name.length);
        if (attributes.trim() && !ATTRIBUTES[name]?.test(attributes))
          return fail(`Unsupported attribute in tag "${name}" at byte offset ${byteOffset(i)}`);
        if (open.includes("pre") && name !== "code") return fail(`Unsupported tag "${name}" inside "pre" at byte offset ${byteOffset(i)}`);
        open.push(name);
      }
      i = end + 1;
      continue;
    }
    if (c === ">") return fail(`Unexpected character '>' at byte offset ${byteOffset(i)}`);
    if (c === "&") {
      const entity = /^&(#x[0-9a-f]+|#\d+|[a-z]+);/i.exec(html.slice(i));
      const name = entity?.[1] ?? "";
      const decoded = name.startsWith("#") ? decodeNumeric(name) : ENTITIES[name.toLowerCase()];
      if (!entity || decoded === undefined) return fail(`Unsupported HTML entity starting at byte offset ${byteOffset(i)}`);
      text += decoded;
      i += entity[0].length;
      continue;
    }
    text += c;
    i++;
  }
  if (open.length) return fail(`Can't find end tag corresponding to start tag "${open.at(-1)}"`);
  return { ok: true, text };
}

function decodeNumeric(name: string): string | undefined {
  const code = name[1]?.toLowerCase() === "x" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
  return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}
