import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunOptions } from "../../src/agent/backend.js";
import { type AgentEvent, doneEvent } from "../../src/agent/events.js";
import { colourAndSizes, FakeBackend, permissionBackend } from "../support/fake-backend.js";
import { eventually } from "../support/run.js";
import { buttonsOf, FRIEND, GENERAL, newDm, OWNER, type SlackRig, STRANGER, shown, slackRig, whenChat } from "../support/slack-channel.js";

const text = (content: string): AgentEvent => ({ type: "message", content, metadata: { partId: "p", messageId: "m" } });
const done = (stopped = false) => doneEvent({ stopped, failed: false });
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stopped = (options: RunOptions) =>
  new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve(), { once: true }));
const mention = (words: string) => `<@U0BOT> ${words}`;

describe("the Slack channel (fake Slack over Socket Mode, real Bolt, fake backend)", () => {
  let rig: SlackRig;
  before(async () => {
    // Fast pacing: these tests are about what is said; channels-slack-real.test.ts measures the real pace.
    rig = await slackRig({ intervalMs: 20, updatesPerMinute: 6000, typingMs: 300 });
  });
  after(() => rig.close());
  const session = (backend: FakeBackend, body: () => Promise<void>) => rig.session(backend, body);

  test("a DM is answered by editing one message as the reply grows, in mrkdwn, with a working reaction meanwhile", async () => {
    const backend = new FakeBackend(async function* () {
      for (const piece of ["**Bold** and `code`, ", "<angle> & [a link](https://example.com/a|b) ", "and _more_."]) {
        yield text(piece);
        await wait(120);
      }
      yield done();
    });
    await session(backend, async () => {
      const dm = newDm();
      const ts = rig.slack.say(OWNER, dm, "explain");
      await eventually(() => rig.slack.reactions.get(`${dm}/${ts}`)?.has("hourglass_flowing_sand"), 5000, "the working reaction");
      const [reply] = await whenChat(rig.slack, dm, (m) => m[0]?.text.endsWith("_more_.") === true, "the whole reply");
      assert.equal(reply?.text, "*Bold* and `code`, &lt;angle&gt; &amp; <https://example.com/a%7Cb|a link> and _more_.");
      assert.ok((reply?.history.length ?? 0) >= 2, "shown as it grew, by chat.update");
      assert.equal(rig.slack.inChat(dm).length, 1);
      assert.equal(reply?.thread_ts, undefined, "a DM's conversation is answered in the DM itself");
      await eventually(() => rig.slack.reactions.get(`${dm}/${ts}`)?.size === 0, 5000, "the reaction taken off");
      assert.deepEqual(
        backend.runs.map((r) => [r.message, r.options.sessionKey]),
        [["explain", `slack:${dm}`]],
      );
    });
  });

  test("a long reply is split into messages of at most 3000 characters, nothing lost", async () => {
    const paragraph = (i: number) => `Paragraph ${i} has **bold**, <angle> & \`code\`. ${"filler ".repeat(60)}`;
    const reply = Array.from({ length: 30 }, (_, i) => paragraph(i)).join("\n\n");
    const backend = new FakeBackend(async function* () {
      for (let i = 0; i < reply.length; i += 700) yield text(reply.slice(i, i + 700));
      yield done();
    });
    await session(backend, async () => {
      const dm = newDm();
      rig.slack.say(OWNER, dm, "write a lot");
      const messages = await whenChat(rig.slack, dm, (m) => m.length >= 4 && shown(m.at(-1)).includes("Paragraph 29"), "every page");
      await wait(200);
      const all = rig.slack.inChat(dm).map(shown).join("\n\n");
      for (let i = 0; i < 30; i++) assert.ok(all.includes(`Paragraph ${i} has *bold*, <angle> & \`code\`.`), `paragraph ${i}`);
      assert.ok(messages.every((m) => m.text.length <= 3000));
    });
  });

  test("a permission is asked with Block Kit buttons; a stranger's press is refused, the owner's answers it", async () => {
    const backend = permissionBackend();
    await session(backend, async () => {
      const dm = newDm();
      rig.slack.say(OWNER, dm, "clean up");
      const prompt = (await whenChat(rig.slack, dm, (m) => m.some((x) => buttonsOf(x).length > 0), "the prompt")).find(
        (x) => buttonsOf(x).length > 0,
      );
      assert.deepEqual(
        buttonsOf(prompt).map((b) => b.label),
        ["Allow once", "Always", "Reject"],
      );
      assert.match(prompt?.blocks?.[0]?.text?.text ?? "", /Allow bash\?/);
      assert.ok(prompt);
      const foreign = rig.slack.press(STRANGER, prompt, buttonsOf(prompt)[0]?.value ?? "");
      await eventually(
        () => rig.slack.ephemerals.some((e) => e.user === STRANGER.id && e.text === "Not allowed."),
        5000,
        "the stranger told",
      );
      assert.ok(rig.slack.acked(foreign), "every press is acknowledged");
      assert.deepEqual(backend.replies, []);
      const press = rig.slack.press(OWNER, prompt, buttonsOf(prompt)[1]?.value ?? "");
      const messages = await whenChat(
        rig.slack,
        dm,
        (m) => m.some((x) => shown(x).includes("reply was always")),
        "the reply after the answer",
      );
      assert.ok(rig.slack.acked(press));
      assert.deepEqual(backend.replies, [{ id: "per_1", reply: "always" }]);
      const answered = messages.find((m) => m.ts === prompt.ts);
      assert.match(shown(answered), /Always allowed by @owner/);
      assert.equal(answered?.blocks, undefined, "the buttons are gone");
      // Confirmations need no note: only the stranger's refusal was one.
      assert.equal(rig.slack.ephemerals.filter((e) => e.user === OWNER.id).length, 0);
    });
  });

  test("questions are answered with buttons: one choice, then several (toggles and Done)", async () => {
    const question = colourAndSizes();
    const backend = new FakeBackend(async function* (_m, _o, self) {
      yield question;
      await self.replyTo("que_1");
      yield text("thanks");
      yield done();
    });
    await session(backend, async () => {
      const dm = newDm();
      rig.slack.say(FRIEND, dm, "ask me");
      const press = async (label: string) => {
        const messages = await whenChat(
          rig.slack,
          dm,
          (m) => m.some((x) => buttonsOf(x).some((b) => b.label === label)),
          `a "${label}" button`,
        );
        const message = messages.find((x) => buttonsOf(x).some((b) => b.label === label));
        assert.ok(message);
        rig.slack.press(FRIEND, message, buttonsOf(message).find((b) => b.label === label)?.value ?? "");
      };
      await press("Blue");
      await press("S");
      await press("L");
      await whenChat(rig.slack, dm, (m) => m.some((x) => buttonsOf(x).some((b) => b.label === "✅ L")), "L ticked");
      await press("Done");
      const messages = await whenChat(rig.slack, dm, (m) => m.some((x) => shown(x) === "thanks"), "the reply");
      assert.deepEqual(backend.answers, [{ id: "que_1", answer: [["Blue"], ["S", "L"]] }]);
      const record = shown(messages.find((m) => shown(m).includes("Colour")));
      assert.match(record, /Colour: Blue — @friend/);
      assert.match(record, /Sizes: S, L — @friend/);
    });
  });

  test("!stop stops the running turn; !help names the commands with !", async () => {
    const backend = new FakeBackend(async function* (_m, options) {
      yield text("working on it");
      await stopped(options);
      yield done(true);
    });
    await session(backend, async () => {
      const dm = newDm();
      rig.slack.say(OWNER, dm, "long job");
      await whenChat(rig.slack, dm, (m) => m.some((x) => shown(x).includes("working on it")), "the turn to start");
      rig.slack.say(OWNER, dm, "!stop");
      const messages = await whenChat(rig.slack, dm, (m) => m.some((x) => shown(x).includes("⏹ Stopped.")), "the stopped reply");
      assert.ok(messages.some((m) => shown(m).includes("Stopping the current turn")));
      assert.equal(backend.runs[0]?.options.signal?.aborted, true);
      rig.slack.say(OWNER, dm, "!HELP");
      const help = await whenChat(rig.slack, dm, (m) => m.some((x) => shown(x).includes("!new —")), "the help");
      assert.match(shown(help.at(-1)), /!stop — Stop the current turn/);
      assert.doesNotMatch(shown(help.at(-1)), /\/new/);
      assert.equal(backend.runs.length, 1, "commands never reach the agent");
    });
  });

  test("a stranger gets one short reply with their id, then silence; the agent never hears them", async () => {
    const backend = new FakeBackend();
    await session(backend, async () => {
      const dm = newDm();
      rig.slack.say(STRANGER, dm, "hi");
      const [refusal] = await whenChat(rig.slack, dm, (m) => m.length === 1, "the refusal");
      assert.match(shown(refusal), /not allowed.*U0STRANGER.*POCKETPAW_SLACK_ALLOWED_USERS/);
      rig.slack.say(STRANGER, dm, "hello again");
      rig.slack.say(STRANGER, GENERAL, mention("me too"));
      await wait(400);
      assert.equal(rig.slack.inChat(dm).length, 1);
      assert.deepEqual(backend.runs, []);
      assert.ok(rig.lines.some((l) => l.includes("refused a message from user U0STRANGER")));
    });
  });

  test("in a channel: a mention opens a thread, each thread its own conversation, replies there need no mention", async () => {
    const backend = new FakeBackend(async function* (message) {
      for (let i = 0; i < 4; i++) {
        yield text(`${message}-${i} `);
        await wait(15);
      }
      yield done();
    });
    await session(backend, async () => {
      rig.slack.say(OWNER, GENERAL, "not for the bot");
      const a = rig.slack.say(OWNER, GENERAL, mention("alpha"));
      const b = rig.slack.say(FRIEND, GENERAL, mention("beta"));
      const inA = await whenChat(
        rig.slack,
        GENERAL,
        (m) => shown(m[0]).trim() === "alpha-0 alpha-1 alpha-2 alpha-3",
        "alpha's reply",
        10_000,
        a,
      );
      const inB = await whenChat(
        rig.slack,
        GENERAL,
        (m) => shown(m[0]).trim() === "beta-0 beta-1 beta-2 beta-3",
        "beta's reply",
        10_000,
        b,
      );
      assert.equal(inA.length, 1);
      assert.equal(inB.length, 1);
      assert.equal(rig.slack.inChat(GENERAL, "").length, 0, "nothing at the channel's top level");
      rig.slack.say(FRIEND, GENERAL, "gamma", { thread_ts: b });
      await whenChat(
        rig.slack,
        GENERAL,
        (m) => m.some((x) => shown(x).trim() === "gamma-0 gamma-1 gamma-2 gamma-3"),
        "gamma in beta's thread",
        10_000,
        b,
      );
      // The mention came as message and app_mention: one turn each, none for the unaddressed message.
      assert.deepEqual(
        backend.runs.map((r) => [r.message, r.options.sessionKey]),
        [
          ["alpha", `slack:${GENERAL}:${a}`],
          ["beta", `slack:${GENERAL}:${b}`],
          ["gamma", `slack:${GENERAL}:${b}`],
        ],
      );
    });
  });
});
