import { Lexer, type Token, type Tokens } from "marked";

/**
 * A platform's text format (Telegram HTML, Slack mrkdwn, Discord Markdown). The core renders
 * the agent's Markdown through it; whatever the platform could misread is escaped, so a reply
 * can never be refused for its markup, nor smuggle in markup of its own.
 */
export interface Markup {
  /** Plain text made safe to show as is. */
  escape(text: string): string;
  /** `inner` is already rendered. */
  bold(inner: string): string;
  italic(inner: string): string;
  strike(inner: string): string;
  /** Inline code; `text` is raw. */
  code(text: string): string;
  /** A code block; `code` is raw. */
  pre(code: string, lang?: string): string;
  /** `inner` is rendered; `href` is raw (and already known to be http(s), mailto or tg). */
  link(inner: string, href: string): string;
  quote(inner: string): string;
  /** The length the platform counts against its message limit (Telegram: the visible text). */
  measure(rendered: string): number;
}

/** A quote as `>`-prefixed lines (Slack's mrkdwn, Discord's Markdown): every line carries the marker. */
export function quoteLines(inner: string): string {
  return inner
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
}

/**
 * One paragraph, list, code block… of a message, rendered; `render` renders a piece of its source
 * the same way, so that a block too long for one message can be cut up (see split.ts).
 */
export interface Block {
  text: string;
  source: string;
  render(source: string): string;
  /** Joined to the block before by a single line break instead of a blank line (tool lines). */
  tight?: boolean;
}

const SAFE_HREF = /^(?:https?:|mailto:|tg:)/i;

/** The Markdown's top-level blocks, each rendered in the platform's markup. */
export function renderBlocks(markdown: string, markup: Markup): Block[] {
  const blocks: Block[] = [];
  for (const token of Lexer.lex(markdown)) {
    if (token.type === "space" || token.type === "def") continue;
    if (token.type === "code") {
      const { text, lang } = token as Tokens.Code;
      const language = lang?.match(/^[\w+#.-]{1,30}/)?.[0];
      const render = (source: string) => markup.pre(source, language);
      blocks.push({ text: render(text), source: text, render });
      continue;
    }
    const render = (source: string) => renderMarkdown(source, markup);
    blocks.push({ text: block(token, markup), source: token.raw.trim(), render });
  }
  return blocks;
}

/** The Markdown rendered as one text (blocks separated by a blank line). */
export function renderMarkdown(markdown: string, markup: Markup): string {
  return renderBlocks(markdown, markup)
    .map((b) => b.text)
    .join("\n\n");
}

function block(token: Token, m: Markup): string {
  switch (token.type) {
    case "heading":
      return m.bold(inline((token as Tokens.Heading).tokens, m));
    case "paragraph":
      return inline((token as Tokens.Paragraph).tokens, m);
    case "blockquote":
      return m.quote(
        (token as Tokens.Blockquote).tokens
          .filter((t) => t.type !== "space")
          .map((t) => block(t, m))
          .join("\n"),
      );
    case "list":
      return list(token as Tokens.List, m, 0);
    case "code":
      return m.pre((token as Tokens.Code).text);
    case "table":
      // No platform has tables in messages; monospace keeps the columns readable.
      return m.pre(token.raw.trim());
    case "hr":
      return "———";
    case "text":
      return "tokens" in token && token.tokens ? inline(token.tokens, m) : m.escape(token.text);
    default:
      // Raw HTML and anything new in Markdown: shown as written.
      return m.escape(token.raw.trim());
  }
}

function list(token: Tokens.List, m: Markup, depth: number): string {
  const indent = "  ".repeat(depth);
  const start = typeof token.start === "number" ? token.start : 1;
  return token.items
    .map((item, i) => {
      const bullet = token.ordered ? `${start + i}.` : item.task ? (item.checked ? "☑" : "☐") : "•";
      return item.tokens
        .filter((t) => t.type !== "space" && t.type !== "checkbox")
        .map((t, j) => {
          if (t.type === "list") return list(t as Tokens.List, m, depth + 1);
          // The item's first paragraph carries the bullet; later ones are indented under it.
          return j === 0 ? `${indent}${bullet} ${block(t, m)}` : `${indent}  ${block(t, m)}`;
        })
        .join("\n");
    })
    .join("\n");
}

function inline(tokens: Token[] | undefined, m: Markup): string {
  if (!tokens) return "";
  return tokens.map((t) => inlineOne(t, m)).join("");
}

function inlineOne(t: Token, m: Markup): string {
  switch (t.type) {
    case "strong":
      return m.bold(inline((t as Tokens.Strong).tokens, m));
    case "em":
      return m.italic(inline((t as Tokens.Em).tokens, m));
    case "del":
      return m.strike(inline((t as Tokens.Del).tokens, m));
    case "codespan":
      return m.code((t as Tokens.Codespan).text);
    case "br":
      return "\n";
    case "link": {
      const link = t as Tokens.Link;
      const inner = inline(link.tokens, m);
      return SAFE_HREF.test(link.href) ? m.link(inner, link.href) : inner;
    }
    case "image": {
      const image = t as Tokens.Image;
      const alt = m.escape(image.text || "image");
      return SAFE_HREF.test(image.href) ? m.link(alt, image.href) : alt;
    }
    case "text":
      return "tokens" in t && t.tokens ? inline(t.tokens, m) : m.escape(t.text);
    case "escape":
      return m.escape(t.text);
    default:
      return m.escape(t.raw);
  }
}
