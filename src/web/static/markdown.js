// Model output as Markdown, made safe: marked turns it into HTML, DOMPurify removes everything
// that could run (scripts, event handlers, javascript: links, forms, frames) and the result is a
// DOM fragment, never a string assigned to innerHTML. highlight.js colours code blocks that
// name their language; it reads the code as text and escapes it itself.

import hljs from "./vendor/highlight.js";
import { Marked } from "./vendor/marked.js";
import DOMPurify from "./vendor/purify.js";

const marked = new Marked({ gfm: true, breaks: false, async: false });

// Links open in a new tab, without giving that tab a handle on this one.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node instanceof HTMLAnchorElement && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

/** @type {import("./vendor/purify.js").Config & {RETURN_DOM_FRAGMENT: true}} */
const PURIFY = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
  FORBID_ATTR: ["style"],
};

/** Past this size a code block is left plain while its text still grows (highlighting is the costly part). */
const HIGHLIGHT_LIMIT = 50_000;

/**
 * @param {string} text Markdown from the model (untrusted)
 * @returns {DocumentFragment}
 */
export function renderMarkdown(text) {
  const html = /** @type {string} */ (marked.parse(text));
  const fragment = DOMPurify.sanitize(html, PURIFY);
  for (const code of fragment.querySelectorAll("pre > code")) {
    const language = [...code.classList].find((c) => c.startsWith("language-"))?.slice("language-".length);
    if (!language || !hljs.getLanguage(language) || (code.textContent ?? "").length > HIGHLIGHT_LIMIT) continue;
    hljs.highlightElement(/** @type {HTMLElement} */ (code));
  }
  return fragment;
}
