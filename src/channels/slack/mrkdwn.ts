import { type Markup, quoteLines } from "../core/markup.js";

/**
 * Slack's mrkdwn. Only `&`, `<` and `>` can (and must) be escaped: `<` starts Slack's own syntax
 * (`<@U123>` mentions, `<!channel>`, `<url|label>` links), so escaping it is what keeps a reply
 * from pinging people or disguising links. `*`, `_`, `~` and backticks have no escape in mrkdwn:
 * a literal `*word*` in plain text shows bold, which is cosmetic and harmless.
 * https://docs.slack.dev/messaging/formatting-message-text#escaping
 */
const escapeText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A link target inside `<…|…>`: `|` and `>` would end it early, so they are percent-encoded. */
const href = (url: string) => url.replace(/&/g, "&amp;").replace(/</g, "%3C").replace(/>/g, "%3E").replace(/\|/g, "%7C");

export const slackMrkdwn: Markup = {
  escape: escapeText,
  bold: (inner) => `*${inner}*`,
  italic: (inner) => `_${inner}_`,
  strike: (inner) => `~${inner}~`,
  // Inline code cannot hold a backtick (it would end the span): a look-alike (U+02CB) stands in.
  code: (text) => `\`${escapeText(text.replace(/`/g, "ˋ").replace(/\n/g, " "))}\``,
  // A zero-width space inside a run of three backticks keeps the block from ending there.
  pre: (code) => `\`\`\`\n${escapeText(code.replace(/```/g, "`\u200b``"))}\n\`\`\``,
  link: (inner, url) => `<${href(url)}|${inner.replace(/\|/g, "¦")}>`,
  // An escaped `&gt;` would not quote.
  quote: quoteLines,
  // A section block's text may be 3000 characters of mrkdwn source; entities count in full, which errs on the safe side.
  measure: (text) => text.length,
};

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&" };

/**
 * The text of a message a person wrote, as the agent should read it: Slack's `<…>` syntax turned
 * back into what it shows (`<@U1>` → `@U1`, `<url|label>` → `label (url)`, `<!here>` → `@here`),
 * the bot's own mention removed and the three entities decoded.
 */
export function plainText(text: string, botUserId: string): string {
  return text
    .replace(new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, "g"), "")
    .replace(/<([^<>]*)>/g, (_whole, inside: string) => {
      const [target = "", label] = inside.split("|", 2);
      if (target.startsWith("@") || target.startsWith("#")) return label ? `${target[0]}${label}` : target;
      if (target.startsWith("!")) return label ?? `@${target.slice(1)}`;
      const url = target.replace(/^mailto:/, "");
      return label && label !== url ? `${label} (${target})` : url;
    })
    .replace(/&(lt|gt|amp);/g, (_whole, name: string) => ENTITIES[name] ?? "")
    .trim();
}
