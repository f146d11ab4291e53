import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderMarkdown } from "../../src/channels/core/markup.js";
import { messageOf, RecentKeys, type Routing, type SlackMessageEvent } from "../../src/channels/slack/incoming.js";
import { plainText, slackMrkdwn } from "../../src/channels/slack/mrkdwn.js";

const render = (markdown: string) => renderMarkdown(markdown, slackMrkdwn);

describe("Markdown to Slack mrkdwn", () => {
  test("formatting, with &, < and > escaped everywhere and nothing of Slack's own <…> syntax let through", () => {
    assert.equal(render("**bold** _it_ ~~gone~~ `a<b>&c`"), "*bold* _it_ ~gone~ `a&lt;b&gt;&amp;c`");
    assert.equal(
      render("ping <!channel> and <@U123> & <https://evil.example|safe>"),
      // Markdown reads the last one as an autolink: a real link whose label is its whole URL, so nothing is disguised.
      "ping &lt;!channel&gt; and &lt;@U123&gt; &amp; <https://evil.example%7Csafe|https://evil.example¦safe>",
    );
    assert.equal(render("# Title\n\n> quoted\n> twice"), "*Title*\n\n> quoted\n> twice");
  });

  test("links: Slack's <url|label>, with | and > in the URL encoded; unsafe schemes dropped", () => {
    assert.equal(render("[docs](https://example.com/a?b=1&c=2)"), "<https://example.com/a?b=1&amp;c=2|docs>");
    assert.equal(render("[x](https://example.com/a|b>c)"), "<https://example.com/a%7Cb%3Ec|x>");
    assert.equal(render("[click](javascript:alert(1))"), "click");
  });

  test("code: a backtick cannot end inline code, nor ``` a block", () => {
    assert.equal(render("``a`b``"), "`aˋb`");
    const block = render("```js\nconst s = `x`;\nconst t = '```';\n```");
    assert.equal(block, "```\nconst s = `x`;\nconst t = '`\u200b``';\n```");
    assert.equal(block.match(/```/g)?.length, 2);
  });
});

describe("what a person wrote, as the agent reads it", () => {
  test("mentions, channels, links and entities turned back into what Slack shows; the bot's own mention removed", () => {
    assert.equal(
      plainText("<@U0BOT> look at <#C1|general> and <https://x.io/a|this> or <https://y.io> &lt;tag&gt; &amp; <!here>", "U0BOT"),
      "look at #general and this (https://x.io/a) or https://y.io <tag> & @here",
    );
    assert.equal(plainText("<mailto:a@b.c|a@b.c> <@U9|bob> <!subteam^S1|@team>", "U0BOT"), "a@b.c @bob @team");
  });

  test("routing: DMs always, channels when mentioned or in a thread the bot is in; bots, edits and repeats never", () => {
    const r: Routing = {
      botUserId: "U0BOT",
      seen: new RecentKeys(10),
      threads: new RecentKeys(10),
      download: async () => new Uint8Array(),
    };
    const event = (e: Partial<SlackMessageEvent>): SlackMessageEvent => ({
      type: "message",
      channel: "D1",
      channel_type: "im",
      user: "U1",
      text: "hi",
      ts: String(Math.random()),
      ...e,
    });
    assert.deepEqual(messageOf(event({}), r)?.chat, { id: "D1" });
    assert.deepEqual(messageOf(event({ thread_ts: "5.0", ts: "6.0" }), r)?.chat, { id: "D1", thread: "5.0" });
    assert.equal(messageOf(event({ bot_id: "B1" }), r), undefined);
    assert.equal(messageOf(event({ subtype: "message_changed" }), r), undefined);
    assert.equal(messageOf(event({ channel: "C1", channel_type: "channel" }), r), undefined, "a channel message without a mention");
    assert.deepEqual(messageOf(event({ channel: "C1", channel_type: "channel", ts: "7.0", text: "<@U0BOT> go" }), r)?.chat, {
      id: "C1",
      thread: "7.0",
      group: true,
    });
    assert.equal(
      messageOf(event({ type: "app_mention", channel: "C1", channel_type: undefined, ts: "7.0", text: "<@U0BOT> go" }), r),
      undefined,
      "the same mention again",
    );
    assert.equal(messageOf(event({ channel: "C1", channel_type: "channel", thread_ts: "7.0", ts: "8.0", text: "more" }), r)?.text, "more");
    assert.equal(
      messageOf(event({ channel: "C1", channel_type: "channel", thread_ts: "9.0", ts: "10.0" }), r),
      undefined,
      "a thread the bot is not in",
    );
    assert.deepEqual(messageOf(event({ text: "!Model  openai/gpt-5 " }), r)?.command, { name: "model", args: "openai/gpt-5" });
    assert.equal(messageOf(event({ text: "! not a command" }), r)?.command, undefined);
  });
});
