import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { AllowList } from "../../src/channels/core/allow.js";
import { renderBlocks, renderMarkdown } from "../../src/channels/core/markup.js";
import { paginate } from "../../src/channels/core/split.js";
import { ChannelStore } from "../../src/channels/core/store.js";
import { redactToken } from "../../src/channels/telegram/errors.js";
import { telegramHtml, visibleText } from "../../src/channels/telegram/html.js";
import { loadSettings, type SettingsError } from "../../src/config/settings.js";
import { parseTelegramHtml } from "../support/telegram-html.js";

const html = (md: string) => renderMarkdown(md, telegramHtml);

describe("Markdown as Telegram HTML", () => {
  test("formatting becomes tags; everything else is escaped", () => {
    assert.equal(html("**bold** *it* ~~gone~~ `a<b>&`"), "<b>bold</b> <i>it</i> <s>gone</s> <code>a&lt;b&gt;&amp;</code>");
    assert.equal(html("```ts\nif (a < b) {}\n```"), '<pre><code class="language-ts">if (a &lt; b) {}</code></pre>');
    assert.equal(html("[site](https://x.org/?a=1&b=2) [bad](javascript:alert(1))"), '<a href="https://x.org/?a=1&amp;b=2">site</a> bad');
    assert.equal(html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert.equal(html("# Title\n\n- one\n- two\n\n> quoted"), "<b>Title</b>\n\n• one\n• two\n\n<blockquote>quoted</blockquote>");
  });

  test("whatever the agent writes, and wherever the stream is cut, Telegram accepts the HTML", () => {
    const pieces = fc.constantFrom(
      "**",
      "*",
      "_",
      "`",
      "```",
      "\n",
      "<",
      ">",
      "&",
      "&amp;",
      "[a](http://x)",
      "# ",
      "- ",
      "> ",
      "|a|b|\n|-|-|\n",
      "text ",
      "ü",
      "😀",
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 60 }), (parts) => {
        const rendered = html(parts.join(""));
        const parsed = parseTelegramHtml(rendered);
        assert.ok(parsed.ok, `${JSON.stringify(parts.join(""))} → ${rendered}: ${parsed.ok ? "" : parsed.error}`);
        assert.equal(parsed.text, visibleText(rendered));
      }),
      { numRuns: 300 },
    );
  });

  test("pages: each within the limit, valid on its own, nothing lost", () => {
    const md = `${"A paragraph with <tags> & words. ".repeat(300)}\n\n\`\`\`\n${"code line <x>\n".repeat(500)}\`\`\`\n\n${"😀".repeat(3000)}`;
    const pages = paginate(renderBlocks(md, telegramHtml), 4096, telegramHtml.measure);
    assert.ok(pages.length >= 5);
    for (const page of pages) {
      const parsed = parseTelegramHtml(page);
      assert.ok(parsed.ok && parsed.text.length <= 4096);
    }
    const visible = pages.map(visibleText).join("");
    assert.equal(visible.split("code line <x>").length - 1, 500);
    assert.equal(visible.split("😀").length - 1, 3000, "no emoji cut in half");
  });
});

describe("allow lists, the channels' store, the settings", () => {
  test("an allow list is ids, or everyone only when it says *", () => {
    assert.equal(new AllowList("").empty, true);
    assert.equal(new AllowList("1, 2").allows("2"), true);
    assert.equal(new AllowList("1,2").allows("3"), false);
    assert.equal(new AllowList("*").allows("anyone"), true);
  });

  test("the store is the user's alone: created 600, and an existing one left 644 is tightened when opened", () => {
    const dir = mkdtempSync(join(tmpdir(), "pocketpaw-channels-"));
    const previous = process.umask(0o022);
    try {
      const path = join(dir, "channels.db");
      const mode = () => (statSync(path).mode & 0o777).toString(8);
      new ChannelStore(path).close();
      assert.equal(mode(), "600");
      chmodSync(path, 0o644);
      new ChannelStore(path).close();
      assert.equal(mode(), "600");
    } finally {
      process.umask(previous);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the cursor and a turn are recorded together; interrupted turns are read once", () => {
    const dir = mkdtempSync(join(tmpdir(), "pocketpaw-channels-"));
    try {
      const path = join(dir, "channels.db");
      const store = new ChannelStore(path);
      store.accept("telegram", "101", { id: "1/5", chat: { id: "1" }, text: "hello" });
      store.accept("telegram", "102");
      store.setChat("telegram", "1", { model: "a/b" });
      store.close();
      const again = new ChannelStore(path);
      assert.equal(again.cursor("telegram"), "102");
      assert.deepEqual(again.chat("telegram", "1"), { conversation: "", model: "a/b", agent: "" });
      assert.deepEqual(again.takeInterrupted("telegram"), [{ id: "1/5", chat: { id: "1" }, text: "hello" }]);
      assert.deepEqual(again.takeInterrupted("telegram"), []);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("channel settings are checked where they come from; tokens are never shown", () => {
    const home = join(tmpdir(), `pocketpaw-none-${process.pid}`);
    const load = (env: Record<string, string>) => loadSettings({ env: { POCKETPAW_HOME: home, ...env }, cwd: home, warn: () => {} });
    assert.equal(load({ POCKETPAW_TELEGRAM_ALLOWED_USERS: " 1 , 22 " }).values.telegramAllowedUsers, "1,22");
    assert.throws(
      () => load({ POCKETPAW_TELEGRAM_ALLOWED_USERS: "alice" }),
      (e: SettingsError) => /numeric Telegram user ids/.test(e.message),
    );
    assert.throws(
      () => load({ POCKETPAW_TELEGRAM_BOT_TOKEN: "not a token" }),
      (e: SettingsError) => e.message.startsWith("POCKETPAW_TELEGRAM_BOT_TOKEN=*** ") && !e.message.includes("not a token"),
    );
    assert.equal(load({ POCKETPAW_SLACK_API_URL: "http://127.0.0.1:9/api" }).values.slackApiUrl, "http://127.0.0.1:9/api/");
    assert.throws(() => load({ POCKETPAW_DISCORD_GATEWAY_URL: "http://x" }));
    assert.equal(
      redactToken("request to https://api.telegram.org/bot123:AbC-_x/getMe failed"),
      "request to https://api.telegram.org/bot***/getMe failed",
    );
  });
});
