import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { MAX_ATTACHMENT_BYTES, type RunOptions } from "../../src/agent/backend.js";
import { doneEvent } from "../../src/agent/events.js";
import { checkTelegram } from "../../src/channels/telegram/check.js";
import { FakeBackend } from "../support/fake-backend.js";
import { eventually } from "../support/run.js";
import { person, privateChat, type TelegramRig, telegramRig, visible, whenChat } from "../support/telegram-channel.js";

const stopped = (options: RunOptions) =>
  new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve(), { once: true }));
const said = (rig: TelegramRig, chatId: number, pattern: RegExp, what = String(pattern)) =>
  whenChat(rig.telegram, chatId, (m) => m.some((x) => pattern.test(visible(x))), what);

describe("the Telegram channel: commands, files, restarts, safe defaults", () => {
  let rig: TelegramRig;
  before(async () => {
    rig = await telegramRig(undefined, { private: 20, group: 20 });
  });
  after(() => rig.close());
  const session = (backend: FakeBackend, body: () => Promise<void>) => rig.session(backend, body);

  test("doctor's Telegram line: the bot named for an accepted token; a refused one says where to copy it again; an unreachable API says so", async () => {
    const ok = await checkTelegram(rig.telegram.token, rig.telegram.apiRoot);
    assert.equal(ok.status, "ok", ok.detail);
    assert.match(ok.detail, /^@paw_test_bot \(Paw\) at /);
    const refused = await checkTelegram("123456:not-the-token", rig.telegram.apiRoot);
    assert.equal(refused.status, "fail");
    assert.match(refused.fix ?? "", /@BotFather/);
    const down = await checkTelegram(rig.telegram.token, "http://127.0.0.1:9", 2000);
    assert.equal(down.status, "fail");
    assert.equal(down.fix, "Check that http://127.0.0.1:9 can be reached from here.");
  });

  test("the command menu is registered; /help, /new, /sessions, /model, /agent (buttons) and /undo act on the chat's conversation", async () => {
    const backend = new FakeBackend();
    const me = person(11);
    const chat = privateChat(me);
    await session(backend, async () => {
      const menu = await eventually(() => (rig.telegram.commands.length ? rig.telegram.commands : undefined), 5000, "setMyCommands");
      assert.deepEqual(
        (menu as Array<{ command: string }>).map((c) => c.command),
        ["new", "stop", "model", "agent", "undo", "sessions", "help"],
      );
      rig.telegram.say(chat, me, "/help");
      await said(rig, me.id, /\/undo — Undo the last turn/);
      rig.telegram.say(chat, me, "/undo");
      await said(rig, me.id, /Nothing to undo yet/);
      rig.telegram.say(chat, me, "first");
      await said(rig, me.id, /^echo: first$/);
      rig.telegram.say(chat, me, "/undo");
      await said(rig, me.id, /Undid the last turn/);
      assert.deepEqual(backend.operations, [`undo telegram:${me.id}`]);

      rig.telegram.say(chat, me, "/model fake/one");
      await said(rig, me.id, /Model: fake\/one, from the next message on/);
      rig.telegram.say(chat, me, "/model nope/x");
      await said(rig, me.id, /No model nope\/x/);
      rig.telegram.say(chat, me, "/agent");
      const [list] = (await said(rig, me.id, /Agent: the server's default/)).filter((m) => /Agent: the server's default/.test(visible(m)));
      assert.deepEqual(
        list?.markup?.inline_keyboard.map((row) => row[0]?.text),
        ["build", "plan"],
        "primary agents only",
      );
      const plan = list?.markup?.inline_keyboard[1]?.[0];
      assert.ok(list && plan);
      rig.telegram.press(me, list, plan.callback_data);
      await said(rig, me.id, /Agent: plan, from the next message on \(chosen by @person11\)/);

      rig.telegram.say(chat, me, "/new");
      await said(rig, me.id, /New conversation/);
      rig.telegram.say(chat, me, "second");
      await said(rig, me.id, /^echo: second$/);
      const [first, second] = backend.runs.map((r) => r.options);
      assert.equal(first?.sessionKey, `telegram:${me.id}`);
      assert.match(second?.sessionKey ?? "", new RegExp(`^telegram:${me.id}@\\w+$`));
      assert.equal(second?.model, "fake/one");
      assert.equal(second?.agent, "plan");

      rig.telegram.say(chat, me, "/sessions");
      const messages = await said(rig, me.id, /conversations, newest first/);
      const listing = messages.find((m) => /conversations, newest first/.test(visible(m)));
      assert.match(visible(listing), /▶ second/);
      const back = listing?.markup?.inline_keyboard[0]?.[0];
      assert.equal(back?.text, "first");
      assert.ok(listing && back);
      rig.telegram.press(me, listing, back.callback_data);
      await said(rig, me.id, /Back in “first”/);
      rig.telegram.say(chat, me, "third");
      await said(rig, me.id, /^echo: third$/);
      assert.equal(backend.runs[2]?.options.sessionKey, `telegram:${me.id}`);
    });
  });

  test("files and photos go with the message; one too big is refused before anything runs", async () => {
    const backend = new FakeBackend();
    const me = person(12);
    const chat = privateChat(me);
    await session(backend, async () => {
      rig.telegram.sendFile(chat, me, { name: "notes.md", mime: "text/markdown", bytes: Buffer.from("# notes"), caption: "read this" });
      await said(rig, me.id, /^echo: read this$/);
      assert.deepEqual(
        backend.runs[0]?.options.files?.map((f) => [f.name, f.mime, Buffer.from(f.data).toString()]),
        [["notes.md", "text/markdown", "# notes"]],
      );
      rig.telegram.sendFile(chat, me, { name: "x.jpg", mime: "image/jpeg", bytes: Buffer.from([0xff, 0xd8, 0xff]), photo: true });
      await eventually(() => backend.runs[1], 5000, "the photo's run");
      assert.equal(backend.runs[1]?.options.files?.[0]?.mime, "image/jpeg");
      assert.equal(backend.runs[1]?.options.files?.[0]?.data.byteLength, 3);
      rig.telegram.sendFile(chat, me, {
        name: "huge.bin",
        mime: "application/octet-stream",
        bytes: Buffer.alloc(MAX_ATTACHMENT_BYTES + 1),
      });
      await said(rig, me.id, /huge\.bin is 10\.0 MB; pocketpaw sends files of at most 10\.0 MB\. Nothing was sent to the agent\./);
      assert.equal(backend.runs.length, 2);
      assert.ok(!rig.telegram.calls.some((c) => c.method === "file" && String(c.params.path).includes("huge")), "not even downloaded");
    });
  });

  test("a restart mid-turn: the update is not handled again, the chat is told, a message sent meanwhile is answered once", async () => {
    const me = person(13);
    const chat = privateChat(me);
    const hanging = new FakeBackend(async function* (_m, options) {
      yield { type: "message", content: "half an answer", metadata: { partId: "p", messageId: "m" } };
      await stopped(options);
      yield doneEvent({ stopped: true, failed: false });
    });
    await rig.start(hanging);
    rig.telegram.say(chat, me, "the interrupted one");
    await said(rig, me.id, /half an answer/);
    // Stopping mid-turn leaves the turn noted, as a crash would (see the serve test for a real kill).
    await rig.stop();
    rig.telegram.say(chat, me, "sent while down");
    const fresh = new FakeBackend();
    await session(fresh, async () => {
      await said(rig, me.id, /pocketpaw restarted; your message “the interrupted one” was interrupted — send it again if needed/);
      await said(rig, me.id, /^echo: sent while down$/);
      assert.deepEqual(
        fresh.runs.map((r) => r.message),
        ["sent while down"],
      );
      assert.equal(rig.telegram.pendingUpdates, 0);
    });
    assert.equal(statSync(join(rig.home, "channels.db")).mode & 0o777, 0o600);
  });

  test("in a group the bot answers when addressed; a stranger there is refused once", async () => {
    const backend = new FakeBackend();
    const me = person(14);
    const group = { id: -1001234, type: "supergroup" as const, title: "team" };
    await session(backend, async () => {
      rig.telegram.say(group, me, "chatting among ourselves");
      rig.telegram.say(group, me, "@paw_test_bot what time is it");
      await said(rig, group.id, /^echo: what time is it$/);
      assert.equal(backend.runs.length, 1);
      assert.equal(backend.runs[0]?.options.sessionKey, `telegram:${group.id}`);
      const stranger = { id: 9999, first_name: "Eve" };
      rig.telegram.say(group, stranger, "@paw_test_bot hi");
      rig.telegram.say(group, stranger, "@paw_test_bot hi again");
      await said(rig, group.id, /Your user id is 9999/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(rig.telegram.inChat(group.id).filter((m) => /9999/.test(visible(m))).length, 1, "refused once");
      assert.equal(backend.runs.length, 1);
    });
  });

  test("safe by default: without an allow list the channel does not start, and says why", async () => {
    const backend = new FakeBackend();
    const handles = await rig.start(backend, { env: { POCKETPAW_TELEGRAM_ALLOWED_USERS: "" } });
    try {
      assert.deepEqual(
        handles.map((h) => [h.name, h.state().state]),
        [["telegram", "off"]],
      );
      assert.match(rig.lines.join("\n"), /Telegram: not started: POCKETPAW_TELEGRAM_ALLOWED_USERS is empty/);
      assert.ok(!rig.telegram.calls.some((c) => c.method === "getUpdates" && c.at > Date.now() - 100));
    } finally {
      await rig.stop();
    }
  });

  test("a refused token: the channel fails with a sentence that never shows the token", async () => {
    const token = "123:wrong-token";
    const handles = await rig.start(new FakeBackend(), { env: { POCKETPAW_TELEGRAM_BOT_TOKEN: token } });
    try {
      const state = handles[0]?.state();
      assert.equal(state?.state, "failed");
      assert.match(state?.detail ?? "", /Telegram refused the bot token \(401/);
      assert.ok(!rig.lines.join("\n").includes("wrong-token"));
    } finally {
      await rig.stop();
    }
  });
});
