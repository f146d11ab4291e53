import { type Markup, quoteLines } from "../core/markup.js";

/**
 * Discord's Markdown (https://support.discord.com/hc/en-us/articles/210298617). The agent writes
 * Markdown too, but the core re-renders it, so only what we mean as markup stays markup: in plain
 * text every character Discord would read as formatting is escaped with a backslash (Discord
 * shows `\*` as `*`), and mentions are defused twice over — `@everyone` / `@here` get a
 * zero-width space (the server itself looks for those words), `<@id>`, `<#id>`, `<t:…>` lose
 * their `<` — on top of the `allowed_mentions: {parse: []}` every message carries.
 */

/** Formatting anywhere in a line: emphasis, strike, spoiler, code, quotes, masked links, mentions. */
const INLINE = /[\\*_~|`<>[\]]/g;
/** Formatting only at the start of a line: headings and subtext (`#`, `-#`), lists (`-`, `+`, `1.`). */
const LINE_START = /(^|\n)([ \t]*)([#+-]|\d+(?=[.)]))/g;
const EVERYONE = /@(everyone|here)/gi;

const escapeText = (text: string) =>
  text
    .replace(INLINE, "\\$&")
    .replace(LINE_START, (_whole, start: string, indent: string, mark: string) =>
      /^\d/.test(mark) ? `${start}${indent}${mark}\\` : `${start}${indent}\\${mark}`,
    )
    .replace(EVERYONE, "@\u200b$1");

/** A run of backticks longer than any inside `text`, so inline code can hold backticks. */
function fence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return "`".repeat(longest + 1);
}

/** Inline code: Discord shows it verbatim (no escapes inside), so only the fence has to fit. */
function code(text: string): string {
  if (!text) return "";
  const ticks = fence(text);
  // A leading or trailing backtick would merge with the fence: a space keeps them apart.
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A code block; a ``` inside it would end the block, so a zero-width space breaks it up. */
function pre(source: string, lang?: string): string {
  const body = source.replace(/```/g, "`\u200b``").replace(/\n+$/, "");
  return `\`\`\`${lang ?? ""}\n${body}\n\`\`\``;
}

/**
 * A link. A bare URL stays bare (Discord links it; escapes inside it would break it); otherwise
 * a masked link, the URL in `<…>` so Discord shows no embed and `)` cannot end it early.
 */
function link(inner: string, href: string): string {
  if (inner === escapeText(href) || inner === escapeText(href.replace(/^mailto:/i, ""))) return href.replace(/[\s<>]/g, encodeURIComponent);
  return `[${inner}](<${href.replace(/[\s<>]/g, encodeURIComponent)}>)`;
}

export const discordMarkdown: Markup = {
  escape: escapeText,
  bold: (inner) => (inner ? `**${inner}**` : ""),
  italic: (inner) => (inner ? `*${inner}*` : ""),
  strike: (inner) => (inner ? `~~${inner}~~` : ""),
  code,
  pre,
  link,
  quote: quoteLines,
  // Discord counts the message's characters as written, markup included; JavaScript's length
  // (UTF-16 units) is never less than Discord's count, so a page that fits here fits there.
  measure: (text) => text.length,
};
