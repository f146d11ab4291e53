import type { Markup } from "../core/markup.js";

/**
 * Telegram's HTML parse mode: the safest of its formats, since only `<`, `>` and `&` need
 * escaping (MarkdownV2 reserves eighteen characters, and one missed is a refused message).
 * https://core.telegram.org/bots/api#html-style
 */
const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const attribute = (text: string) => escapeHtml(text).replace(/"/g, "&quot;");

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** The text Telegram shows (and counts against its 4096-character limit): tags gone, entities decoded. */
export function visibleText(html: string): string {
  return html.replace(/<[^>]*>/g, "").replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] !== "#") return ENTITIES[name.toLowerCase()] ?? whole;
    const code = name[1]?.toLowerCase() === "x" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

export const telegramHtml: Markup = {
  escape: escapeHtml,
  bold: (inner) => `<b>${inner}</b>`,
  italic: (inner) => `<i>${inner}</i>`,
  strike: (inner) => `<s>${inner}</s>`,
  code: (text) => `<code>${escapeHtml(text)}</code>`,
  pre: (code, lang) =>
    lang ? `<pre><code class="language-${attribute(lang)}">${escapeHtml(code)}</code></pre>` : `<pre>${escapeHtml(code)}</pre>`,
  link: (inner, href) => `<a href="${attribute(href)}">${inner}</a>`,
  quote: (inner) => `<blockquote>${inner}</blockquote>`,
  // JavaScript's length counts UTF-16 code units, as Telegram does.
  measure: (html) => visibleText(html).length,
};
