import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderMarkdown } from "../../src/channels/core/markup.js";
import { discordMarkdown as m } from "../../src/channels/discord/markdown.js";

const render = (markdown: string) => renderMarkdown(markdown, m);

describe("Discord Markdown", () => {
  test("plain text: everything Discord would read as formatting is escaped", () => {
    assert.equal(m.escape("a*b_c~d|e`f>g<h[i]j\\k"), "a\\*b\\_c\\~d\\|e\\`f\\>g\\<h\\[i\\]j\\\\k");
    // Only at the start of a line: headings, subtext, lists.
    assert.equal(
      m.escape("# title\n-# small\n- item\n+ item\n1. first\n  2) second\na - b # c 3. d"),
      "\\# title\n\\-# small\n\\- item\n\\+ item\n1\\. first\n  2\\) second\na - b # c 3. d",
    );
  });

  test("mentions are defused: @everyone and @here broken by a zero-width space, <@…> escaped", () => {
    assert.equal(m.escape("hi @everyone @here @Everyone"), "hi @\u200beveryone @\u200bhere @\u200bEveryone");
    assert.equal(
      m.escape("<@123> <@!123> <@&456> <#789> </cmd:1> <t:1700000000:R>"),
      "\\<@123\\> \\<@!123\\> \\<@&456\\> \\<#789\\> \\</cmd:1\\> \\<t:1700000000:R\\>",
    );
    // In the agent's Markdown too, wherever it is (a code span is shown verbatim by Discord and pings nobody).
    assert.equal(render("**@everyone** look"), "**@\u200beveryone** look");
  });

  test("the agent's Markdown becomes Discord's", () => {
    assert.equal(render("**bold** *it* ~~del~~ `code`"), "**bold** *it* ~~del~~ `code`");
    assert.equal(render("# Title\n\ntext"), "**Title**\n\ntext");
    assert.equal(render("> quoted\n> lines"), "> quoted\n> lines");
    assert.equal(render("- one\n- two"), "• one\n• two");
    assert.equal(render("[docs](https://example.com/a_(b))"), "[docs](<https://example.com/a_(b)>)");
    // A bare URL stays bare: escapes inside it would break the link.
    assert.equal(render("see https://example.com/some_path_here"), "see https://example.com/some_path_here");
    assert.equal(render("[x](javascript:alert(1))"), "x");
  });

  test("code: inline code holds backticks; a code block cannot be closed early", () => {
    assert.equal(m.code("a`b"), "``a`b``");
    assert.equal(m.code("`x`"), "`` `x` ``");
    assert.equal(m.pre("x = 1\n```\nrm -rf /\n", "py"), "```py\nx = 1\n`\u200b``\nrm -rf /\n```");
    assert.equal(render("```js\nconst a = '*_~';\n```"), "```js\nconst a = '*_~';\n```");
  });

  test("the length is counted as Discord counts it, markup included", () => {
    assert.equal(m.measure("**ab**"), 6);
    assert.equal(m.measure("é😀"), 3);
  });
});
