import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Backend } from "../../src/agent/backend.js";
import { useRealServer } from "../support/real-server.js";
import { buttonsOf, newDm, OWNER, type SlackRig, shown, slackRig, whenChat } from "../support/slack-channel.js";

const real = useRealServer();

describe("the Slack channel on the real OpenCode server (scripted model), at Slack's real pace", () => {
  let rig: SlackRig;
  before(async () => {
    // The adapter's own pacing: 1 s per chat, chat.update at 45 a minute for the whole app.
    rig = await slackRig({ retry: { retries: 3, minTimeout: 10 } });
  });
  after(() => rig.close());

  test("a streamed reply is shown by live edits within Slack's limits; the edit rate and first-edit delay are measured", async () => {
    // The OpenCode backend does not implement every member of the contract yet; a turn uses none of those missing.
    await rig.start(real.backend() as unknown as Backend);
    try {
      const dm = newDm();
      // A first turn (OpenCode's first session and prompt take seconds on a cold server), then the measured one.
      rig.slack.say(OWNER, dm, "[[reply:ready]]");
      await whenChat(rig.slack, dm, (m) => m[0]?.text === "ready", "the warm-up turn", 30_000);
      const before = rig.slack.calls.length;
      const sentAt = Date.now();
      rig.slack.say(OWNER, dm, "[[chunks:60]][[delay:75]]");
      const reply = (await whenChat(rig.slack, dm, (m) => m[1]?.text.trim().endsWith("w59") === true, "the whole reply", 30_000))[1];
      const words = (reply?.text ?? "").trim().split(" ");
      assert.deepEqual(
        words,
        Array.from({ length: 60 }, (_, i) => `w${i}`),
        "every chunk, in order",
      );
      const calls = rig.slack.calls.slice(before).filter((c) => c.args.channel === dm);
      const post = calls.find((c) => c.method === "chat.postMessage");
      const edits = calls.filter((c) => c.method === "chat.update");
      const modelAt = real.model.requests.find((r) => !r.isTitle && r.userText.includes("[[chunks:60]]"))?.at ?? sentAt;
      const times = [post?.at ?? 0, ...edits.map((e) => e.at)];
      const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
      const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
      // chat.update's budget counts edits only.
      const editSpan = (edits.at(-1)?.at ?? 0) - (edits[0]?.at ?? 0);
      const perMinute = editSpan > 0 ? ((edits.length - 1) / editSpan) * 60_000 : 0;
      console.log(
        `# Slack live reply: first message ${(post?.at ?? 0) - sentAt} ms after the user's (${(post?.at ?? 0) - modelAt} ms after the model was asked), ` +
          `then ${edits.length} edits: ${perMinute.toFixed(1)} chat.update/min, the reply done ${span} ms after its first message, gaps ${Math.min(...gaps)}–${Math.max(...gaps)} ms`,
      );
      assert.ok(edits.length >= 3, "the reply grew in several edits");
      // Spaced from when each call was due; its arrival can lag a little behind, so a few ms of slack.
      assert.ok(Math.min(...gaps) >= 950, "about a second apart in one chat, never bursts");
      assert.ok(perMinute <= 50, "within chat.update's Tier 3 (50 a minute)");
      assert.ok(
        rig.slack.calls.every((c) => c.status !== 429),
        "Slack never had to slow the bot down",
      );
      // Live, not at the end: the first text shows while the model still writes (4.5 s). How soon
      // is a speed figure for `npm run bench -- channels`, not for a loaded test run.
      assert.ok((post?.at ?? 0) - modelAt < 59 * 75, "the first text shows while the model still writes");
    } finally {
      await rig.stop();
    }
  });

  test("a permission of the real server is answered by pressing a button; the tool then runs", async () => {
    const ask = [{ permission: "bash", pattern: "*", action: "ask" as const }];
    await rig.start(real.backend({ permission: ask }) as unknown as Backend);
    try {
      const dm = newDm();
      rig.slack.say(OWNER, dm, "[[bash:echo allowed]]");
      const messages = await whenChat(rig.slack, dm, (m) => m.some((x) => buttonsOf(x).length === 3), "the permission prompt", 20_000);
      const prompt = messages.find((x) => buttonsOf(x).length === 3);
      assert.ok(prompt);
      assert.match(shown(prompt), /Allow bash\?/);
      assert.match(shown(prompt), /echo allowed/);
      rig.slack.press(OWNER, prompt, buttonsOf(prompt).find((b) => b.label === "Allow once")?.value ?? "");
      const after = await whenChat(
        rig.slack,
        dm,
        (m) => m.some((x) => shown(x).includes("Tool result received: allowed")),
        "the reply",
        20_000,
      );
      assert.match(shown(after.find((m) => m.ts === prompt.ts)), /Allowed once by @owner/);
      // The tool step shown above the prompt still gets its check mark once the tool ran.
      assert.ok(
        after.some((m) => /✓ \*bash\* `echo allowed`/.test(shown(m))),
        "the tool step, finished",
      );
    } finally {
      await rig.stop();
    }
  });
});
