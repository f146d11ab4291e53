import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { RunOptions } from "../../src/agent/backend.js";
import { type AgentEvent, doneEvent, errorEvent } from "../../src/agent/events.js";
import { askingBackend, FakeBackend, permissionBackend } from "../support/fake-backend.js";
import { eventually } from "../support/run.js";
import { person, privateChat, STRANGER, type TelegramRig, telegramRig, visible, whenChat } from "../support/telegram-channel.js";

const text = (content: string): AgentEvent => ({ type: "message", content, metadata: { partId: "p", messageId: "m" } });
const done = (stopped = false) => doneEvent({ stopped, failed: false });
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves when the run is stopped. */
const stopped = (options: RunOptions) =>
  new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve(), { once: true }));

describe("the Telegram channel (fake Bot API, fake backend)", () => {
  let rig: TelegramRig;
  before(async () => {
    // Fast pacing: these tests are about what is said, channels-telegram-rate.test.ts about how fast.
    rig = await telegramRig(undefined, { private: 10, group: 10 });
  });
  after(() => rig.close());
  afterEach(() => {
    // What the channel logged beyond starting is worth seeing when something went wrong.
    const unusual = rig.lines.filter((l) => !l.includes("running:"));
    if (unusual.length) console.log(unusual.join("\n"));
    rig.lines.length = 0;
  });
  const session = (backend: FakeBackend, body: () => Promise<void>) => rig.session(backend, body);

  test("a long reply is split into several messages within Telegram's limit, Markdown rendered, nothing lost", async () => {
    const paragraph = (i: number) => `Paragraph ${i} has **bold**, <angle> & \`code\`. ${"filler ".repeat(60)}`;
    const reply = Array.from({ length: 40 }, (_, i) => paragraph(i)).join("\n\n");
    const backend = new FakeBackend(async function* () {
      for (let i = 0; i < reply.length; i += 500) yield text(reply.slice(i, i + 500));
      yield done();
    });
    await session(backend, async () => {
      rig.telegram.say(privateChat(person(1)), person(1), "write a lot");
      const messages = await whenChat(
        rig.telegram,
        person(1).id,
        (m) => m.length >= 4 && visible(m.at(-1)).includes("Paragraph 39"),
        "every page",
      );
      await wait(200);
      const shown = rig.telegram.inChat(person(1).id).map(visible).join("\n\n");
      for (let i = 0; i < 40; i++) assert.ok(shown.includes(`Paragraph ${i} has bold, <angle> & code.`), `paragraph ${i}`);
      assert.ok(messages.every((m) => visible(m).length <= 4096 && m.parseMode === "HTML"));
      assert.match(messages[0]?.text ?? "", /<b>bold<\/b>, &lt;angle&gt; &amp; <code>code<\/code>/);
    });
  });

  test("tool steps are compact lines; a long output comes as a file; an error is one short line", async () => {
    const backend = new FakeBackend(async function* () {
      yield {
        type: "tool_use",
        content: "bash ls -la",
        metadata: { name: "bash", input: { command: "ls -la" }, callId: "c1", summary: "ls -la" },
      };
      yield { type: "tool_result", content: "x".repeat(5000), metadata: { name: "bash", callId: "c1", isError: false } };
      yield { type: "tool_use", content: "read a.ts", metadata: { name: "read", input: {}, callId: "c2", summary: "a.ts" } };
      yield { type: "tool_result", content: "nope", metadata: { name: "read", callId: "c2", isError: true } };
      yield errorEvent("provider", "The provider failed: overloaded.\n    at secret stack line");
      yield doneEvent({ stopped: false, failed: true });
    });
    await session(backend, async () => {
      rig.telegram.say(privateChat(person(2)), person(2), "run things");
      const messages = await whenChat(
        rig.telegram,
        person(2).id,
        (m) => m.some((x) => visible(x).includes("overloaded")),
        "the error line",
      );
      const lines = messages.map(visible).join("\n");
      assert.match(lines, /✓ bash ls -la/);
      assert.match(lines, /✗ read a\.ts/);
      assert.match(lines, /⚠️ The provider failed: overloaded\./);
      assert.doesNotMatch(lines, /stack/);
      const file = messages.find((m) => m.document);
      assert.equal(file?.document?.bytes.toString(), "x".repeat(5000));
      assert.match(file?.document?.caption ?? "", /Output of bash: ls -la/);
    });
  });

  test("a permission is asked with buttons, answered by a press, and the message says who answered", async () => {
    const backend = permissionBackend();
    await session(backend, async () => {
      rig.telegram.say(privateChat(person(3)), person(3), "clean up");
      const [prompt] = await whenChat(rig.telegram, person(3).id, (m) => m.some((x) => x.markup?.inline_keyboard.length), "the prompt");
      assert.ok(prompt?.markup);
      assert.deepEqual(
        prompt.markup.inline_keyboard[0]?.map((b) => b.text),
        ["Allow once", "Always", "Reject"],
      );
      // A stranger's press does nothing but say so.
      const foreign = rig.telegram.press(STRANGER, prompt, prompt.markup.inline_keyboard[0]?.[0]?.callback_data ?? "");
      await eventually(() => rig.telegram.answers.get(foreign)?.text === "Not allowed.", 5000, "the stranger's press answered");
      assert.deepEqual(backend.replies, []);
      const press = rig.telegram.press(person(3), prompt, prompt.markup.inline_keyboard[0]?.[1]?.callback_data ?? "");
      const messages = await whenChat(
        rig.telegram,
        person(3).id,
        (m) => m.some((x) => visible(x).includes("reply was always")) && m.some((x) => visible(x).includes("allowed by")),
        "the reply after the answer, and the answer recorded",
      );
      assert.deepEqual(backend.replies, [{ id: "per_1", reply: "always" }]);
      assert.ok(rig.telegram.answers.get(press));
      const answered = messages.find((m) => m.messageId === prompt.messageId);
      assert.match(visible(answered), /Always allowed by @person3/);
      assert.deepEqual(answered?.markup?.inline_keyboard ?? [], []);
    });
  });

  test("questions are answered with buttons: one choice, several (toggles and Done), in turn", async () => {
    const backend = askingBackend();
    await session(backend, async () => {
      rig.telegram.say(privateChat(person(4)), person(4), "ask me");
      const buttons = async (label: string) => {
        const [prompt] = await whenChat(
          rig.telegram,
          person(4).id,
          (m) => m.some((x) => x.markup?.inline_keyboard.flat().some((b) => b.text === label)),
          `a "${label}" button`,
        );
        const message =
          rig.telegram.inChat(person(4).id).find((x) => x.markup?.inline_keyboard.flat().some((b) => b.text === label)) ?? prompt;
        const button = message?.markup?.inline_keyboard.flat().find((b) => b.text === label);
        assert.ok(message && button);
        return { message, data: button.callback_data };
      };
      let b = await buttons("Blue");
      rig.telegram.press(person(4), b.message, b.data);
      b = await buttons("S");
      rig.telegram.press(person(4), b.message, b.data);
      b = await buttons("L");
      rig.telegram.press(person(4), b.message, b.data);
      await buttons("✅ L");
      b = await buttons("Done");
      rig.telegram.press(person(4), b.message, b.data);
      const messages = await whenChat(
        rig.telegram,
        person(4).id,
        (m) => m.some((x) => visible(x) === "thanks") && m.some((x) => visible(x).includes("Sizes: S")),
        "the reply",
      );
      assert.deepEqual(backend.answers, [{ id: "que_1", answer: [["Blue"], ["S", "L"]] }]);
      const record = visible(messages.find((m) => visible(m).includes("Colour")));
      assert.match(record, /Colour: Blue — @person4/);
      assert.match(record, /Sizes: S, L — @person4/);
    });
  });

  test("a question is answered by typing too: the words (markup shown as typed) are the answer, not a new turn", async () => {
    const backend = askingBackend();
    await session(backend, async () => {
      rig.telegram.say(privateChat(person(7)), person(7), "ask me");
      await whenChat(rig.telegram, person(7).id, (m) => m.some((x) => visible(x).includes("or type your own answer")), "the question");
      rig.telegram.say(privateChat(person(7)), person(7), "<b>Teal</b>, please");
      await whenChat(
        rig.telegram,
        person(7).id,
        (m) => m.some((x) => visible(x).includes("Colour: <b>Teal</b>, please — @person7")),
        "the first answer recorded",
      );
      rig.telegram.say(privateChat(person(7)), person(7), "just M");
      const messages = await whenChat(rig.telegram, person(7).id, (m) => m.some((x) => visible(x) === "thanks"), "the reply");
      assert.deepEqual(backend.answers, [{ id: "que_1", answer: [["<b>Teal</b>, please"], ["just M"]] }]);
      assert.equal(backend.runs.length, 1, "the typed answers started no turn");
      assert.match(visible(messages.find((m) => visible(m).includes("Sizes:"))), /Sizes: just M — @person7/);
    });
  });

  test("/stop stops the running turn on the server; the reply says so", async () => {
    const backend = new FakeBackend(async function* (_m, options) {
      yield text("working on it");
      await stopped(options);
      yield done(true);
    });
    await session(backend, async () => {
      rig.telegram.say(privateChat(person(5)), person(5), "long job");
      await whenChat(rig.telegram, person(5).id, (m) => m.some((x) => visible(x).includes("working on it")), "the turn to start");
      rig.telegram.say(privateChat(person(5)), person(5), "/stop");
      const messages = await whenChat(
        rig.telegram,
        person(5).id,
        (m) => m.some((x) => visible(x).includes("⏹ Stopped.")),
        "the stopped reply",
      );
      assert.ok(messages.some((m) => visible(m).includes("Stopping the current turn")));
      assert.equal(backend.runs[0]?.options.signal?.aborted, true);
    });
  });

  test("two chats at once: each its own conversation and reply, no cross-talk", async () => {
    const backend = new FakeBackend(async function* (message) {
      for (let i = 0; i < 5; i++) {
        yield text(`${message}-${i} `);
        await wait(20);
      }
      yield done();
    });
    await session(backend, async () => {
      rig.telegram.say(privateChat(person(6)), person(6), "alpha");
      rig.telegram.say(privateChat(person(26)), person(26), "beta");
      const owner = await whenChat(
        rig.telegram,
        person(6).id,
        (m) => visible(m[0]).trim() === "alpha-0 alpha-1 alpha-2 alpha-3 alpha-4",
        "alpha's reply",
      );
      const friend = await whenChat(
        rig.telegram,
        person(26).id,
        (m) => visible(m[0]).trim() === "beta-0 beta-1 beta-2 beta-3 beta-4",
        "beta's reply",
      );
      assert.equal(owner.length, 1);
      assert.equal(friend.length, 1);
      assert.deepEqual(backend.runs.map((r) => r.options.sessionKey).sort(), [`telegram:${person(6).id}`, `telegram:${person(26).id}`]);
    });
  });

  test("429 from Telegram is waited out: nothing lost", async () => {
    const backend = new FakeBackend();
    await session(backend, async () => {
      rig.telegram.failNext(3, 1);
      rig.telegram.say(privateChat(person(7)), person(7), "despite limits");
      await whenChat(rig.telegram, person(7).id, (m) => m.some((x) => visible(x) === "echo: despite limits"), "the reply", 15_000);
      assert.ok(rig.telegram.calls.filter((c) => c.status === 429).length >= 3);
    });
  });

  test("a flood of 50 messages to one chat: every one answered, in order, none twice", async () => {
    const backend = new FakeBackend(async function* (message) {
      await wait(5);
      yield text(`echo: ${message}`);
      yield done();
    });
    await session(backend, async () => {
      const ids = Array.from({ length: 50 }, (_, i) => rig.telegram.say(privateChat(person(8)), person(8), `m${i}`));
      const messages = await whenChat(
        rig.telegram,
        person(8).id,
        (m) => m.filter((x) => visible(x).startsWith("echo:")).length === 50,
        "50 answers",
        30_000,
      );
      assert.deepEqual(
        backend.runs.map((r) => r.message),
        ids.map((_, i) => `m${i}`),
      );
      for (const [i, id] of ids.entries()) {
        const answer = messages.find((m) => m.replyTo === id);
        assert.equal(visible(answer), `echo: m${i}`, `the answer to m${i} is under it`);
      }
      assert.ok(
        messages.some((m) => m.edits > 0),
        "queued notices became the answers",
      );
    });
  });
});
