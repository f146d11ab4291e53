import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type DiscordRig, discordRig, done, FRIEND, OWNER, shown, text, wait, whenChannel } from "../support/discord-channel.js";
import { FakeBackend } from "../support/fake-backend.js";

/** The calls that sent or edited messages in a channel, oldest first. */
const writes = (rig: DiscordRig, channelId: string) =>
  rig.discord.calls.filter((c) => c.path.startsWith(`/channels/${channelId}/messages`) && (c.method === "POST" || c.method === "PATCH"));

describe("the Discord channel at Discord's real rate limits (5 per 5 s per channel)", () => {
  let rig: DiscordRig;
  before(async () => {
    rig = await discordRig();
  });
  after(() => rig.close());

  test("a reply streamed for 4 s is shown by live edits, a second apart, with no 429", async (t) => {
    const dm = rig.discord.dmChannel(OWNER);
    const words = Array.from({ length: 40 }, (_, i) => `word${i} `);
    const backend = new FakeBackend(async function* () {
      for (const word of words) {
        yield text(word);
        await wait(100);
      }
      yield done();
    });
    await rig.start(backend);
    try {
      const sentAt = Date.now();
      rig.discord.say(dm, OWNER, "stream please");
      await whenChannel(rig.discord, dm, (m) => shown(m[0]).trim() === words.join("").trim(), "the whole reply", 20_000);
      const calls = writes(rig, dm.id);
      const gaps = calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
      const firstDelay = (calls[0]?.at ?? 0) - sentAt;
      const spanS = ((calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0)) / 1000;
      const figures = `first message ${firstDelay} ms after the user's; ${calls.length - 1} edits over ${spanS.toFixed(1)} s (${((calls.length - 1) / spanS).toFixed(2)} edits/s); gaps ${Math.min(...gaps)}–${Math.max(...gaps)} ms`;
      t.diagnostic(figures);
      console.log(`# discord live edits: ${figures}`);
      assert.equal(rig.discord.calls.filter((c) => c.status === 429).length, 0, "never over the limit");
      assert.ok(calls.length >= 4, "shown as it was written, not at the end only");
      assert.equal(calls.filter((c) => c.method === "POST").length, 1, "one message, edited");
      assert.ok(firstDelay < 1500, `the first text shows quickly (${firstDelay} ms)`);
      // Paced a second apart when sent; seen here with the jitter of a loaded machine's requests.
      assert.ok(Math.min(...gaps) >= 700, "edits about one a second");
    } finally {
      await rig.stop();
    }
  });

  test("429 answers (shared and global) are waited out: nothing lost", async () => {
    const dm = rig.discord.dmChannel(FRIEND);
    await rig.start(new FakeBackend());
    try {
      rig.discord.failNext(2, 1);
      rig.discord.say(dm, FRIEND, "despite limits");
      await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x) === "echo: despite limits"), "the reply", 15_000);
      const limited = rig.discord.calls.filter((c) => c.status === 429);
      assert.equal(limited.length, 2);
      // Whichever request met the 429 (the message, or the typing indicator beside it), it was
      // sent again only after the second Retry-After asked for.
      const last = limited.at(-1)!;
      const retry = rig.discord.calls.find((c) => c.at > last.at && c.method === last.method && c.path === last.path);
      assert.ok(retry && retry.at - last.at >= 900, `Retry-After was honoured (${retry ? retry.at - last.at : "no retry"} ms)`);
      rig.discord.failNext(1, 1, true);
      rig.discord.say(dm, FRIEND, "and the global one");
      await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x) === "echo: and the global one"), "the second reply", 15_000);
      assert.equal(rig.discord.calls.filter((c) => c.status === 429).length, 3);
      assert.ok(!rig.lines.some((l) => /could not/.test(l)), rig.lines.join("\n"));
    } finally {
      await rig.stop();
    }
  });
});

describe("a flood (Discord's limits at 20× speed: 5 per 250 ms per channel)", () => {
  let rig: DiscordRig;
  before(async () => {
    rig = await discordRig({ windowMs: 250 });
  });
  after(() => rig.close());

  test("50 messages to one channel: every one answered under it, in order, none twice", async (t) => {
    const channel = rig.discord.textChannel("busy");
    const backend = new FakeBackend(async function* (message) {
      await wait(5);
      yield text(`echo: ${message}`);
      yield done();
    });
    await rig.start(backend, { intervalMs: 50 });
    try {
      const bot = `<@${rig.discord.bot.id}>`;
      const started = Date.now();
      const ids = Array.from({ length: 50 }, (_, i) => rig.discord.say(channel, i % 2 ? OWNER : FRIEND, `${bot} m${i}`));
      const messages = await whenChannel(
        rig.discord,
        channel,
        (m) => m.filter((x) => shown(x).startsWith("echo:")).length === 50,
        "50 answers",
        40_000,
      );
      const figures = `50 answers in ${((Date.now() - started) / 1000).toFixed(1)} s, ${writes(rig, channel.id).length} sends and edits, ${rig.discord.calls.filter((c) => c.status === 429).length} answered 429`;
      t.diagnostic(figures);
      console.log(`# discord flood: ${figures}`);
      assert.deepEqual(
        backend.runs.map((r) => r.message),
        ids.map((_, i) => `m${i}`),
      );
      for (const [i, id] of ids.entries()) {
        const answers = messages.filter((m) => m.replyTo === id);
        assert.equal(answers.length, 1, `one answer to m${i}`);
        assert.equal(shown(answers[0]), `echo: m${i}`, `the answer to m${i} is under it`);
      }
      assert.ok(
        messages.some((m) => m.edits > 0),
        "queued notices became the answers",
      );
    } finally {
      await rig.stop();
    }
  });
});
