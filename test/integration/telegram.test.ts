import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe, test } from "node:test";
import type { Backend } from "../../src/agent/backend.js";
import { openBackend } from "../../src/app/backend.js";
import { loadSettings } from "../../src/config/settings.js";
import { MemorySessionStore } from "../../src/sessions/store.js";
import { type CliResult, runCli } from "../support/cli.js";
import type { CallRecord } from "../support/fake-telegram.js";
import { freePort } from "../support/opencode-server.js";
import { useRealServer } from "../support/real-server.js";
import { eventually } from "../support/run.js";
import { OWNER, person, privateChat, type TelegramRig, telegramRig, visible, whenChat } from "../support/telegram-channel.js";

// The real `opencode serve` on the scripted model, asking before every shell command.
const real = useRealServer({ extraConfig: { permission: { bash: "ask" } } });

/** Sends and edits in one chat, in time order. */
const writes = (calls: CallRecord[], chatId: number) =>
  calls.filter(
    (c) => (c.method === "sendMessage" || c.method === "editMessageText") && Number(c.params.chat_id) === chatId && c.status === 200,
  );

describe("the Telegram channel on the real OpenCode server", () => {
  let rig: TelegramRig;
  let backend: Backend;
  before(async () => {
    // Telegram's own pacing: one message or edit per second per private chat.
    rig = await telegramRig();
    const settings = loadSettings({ env: { POCKETPAW_HOME: rig.home, POCKETPAW_OPENCODE_BASE_URL: real.server.url }, cwd: rig.home });
    backend = openBackend(settings, { store: new MemorySessionStore(), timeoutMs: 10_000 });
    await rig.start(backend);
  });
  after(async () => {
    await rig?.close();
    await backend?.close();
  });

  test("a reply streams as live edits at Telegram's pace; measured: edit rate and first-edit delay", async () => {
    const me = person(21);
    const delay = 100;
    const chunks = 40;
    const prompt = `[[chunks:${chunks}]][[delay:${delay}]]`;
    rig.telegram.say(privateChat(me), me, prompt);
    const expected = Array.from({ length: chunks }, (_, i) => `w${i}`).join(" ");
    const [reply] = await whenChat(
      rig.telegram,
      me.id,
      (m) => m.length === 1 && visible(m[0]).trim() === expected,
      "the whole reply",
      30_000,
    );
    const calls = writes(rig.telegram.calls, me.id);
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i] as CallRecord).at);
    const request = real.model.requests.find((r) => r.userText.includes(prompt) && !r.isTitle);
    assert.ok(request && reply);
    // The model's first word leaves it `delay` ms after the request arrives.
    const firstWordAt = request.at + delay;
    const firstShown = (calls[0] as CallRecord).at - firstWordAt;
    const span = ((calls.at(-1) as CallRecord).at - (calls[0] as CallRecord).at) / 1000;
    console.log(
      `# measured (private chat, pace 1000 ms): ${calls.length} writes (1 send + ${reply.edits} edits) over ${span.toFixed(1)} s = ${((calls.length - 1) / Math.max(span, 0.001)).toFixed(2)}/s between the first and the last; smallest gap ${Math.min(...gaps)} ms; first visible ${firstShown} ms after the model's first word`,
    );
    assert.ok(reply.edits >= 2, `several edits: ${reply.edits}`);
    // Paced a second apart when sent; measured on arrival, with the jitter of a machine's requests.
    assert.ok(Math.min(...gaps) >= 700, `about one write a second in the chat: gaps ${gaps.join(", ")}`);
    // Live, not at the end: the first words show while the model is still writing (4 s). How
    // soon is a speed figure, measured by `npm run bench -- channels` on a quiet machine; here,
    // under a loaded test run, 2.2 s was seen.
    assert.ok(firstShown < (chunks - 1) * delay, `the first words show while the model still writes: ${firstShown} ms`);
  });

  test("a permission of the real server is answered by pressing Allow once", async () => {
    const me = person(22);
    rig.telegram.say(privateChat(me), me, "[[bash:echo from-telegram]]");
    const messages0 = await whenChat(
      rig.telegram,
      me.id,
      (m) => m.some((x) => x.markup?.inline_keyboard.length),
      "the permission prompt",
      30_000,
    );
    const prompt = messages0.find((x) => x.markup?.inline_keyboard.length);
    const allow = prompt?.markup?.inline_keyboard[0]?.[0];
    assert.equal(allow?.text, "Allow once");
    assert.ok(prompt && allow);
    assert.match(visible(prompt), /Allow bash\?/);
    rig.telegram.press(me, prompt, allow.callback_data);
    const messages = await whenChat(
      rig.telegram,
      me.id,
      (m) => m.some((x) => visible(x).includes("Tool result received: from-telegram")),
      "the reply after the tool",
      30_000,
    );
    assert.match(visible(messages.find((m) => m.messageId === prompt.messageId)), /Allowed once by @person22/);
    assert.ok(
      messages.some((m) => /✓ bash echo from-telegram/.test(visible(m))),
      messages.map(visible).join("\n---\n"),
    );
  });

  test("/stop stops the turn on the server", async () => {
    const me = person(23);
    rig.telegram.say(privateChat(me), me, "[[chunks:300]][[delay:30]]");
    await whenChat(rig.telegram, me.id, (m) => m.some((x) => visible(x).startsWith("w0")), "the turn to start", 30_000);
    rig.telegram.say(privateChat(me), me, "/stop");
    await whenChat(rig.telegram, me.id, (m) => m.some((x) => visible(x).includes("⏹ Stopped.")), "the stopped reply", 30_000);
    const key = `telegram:${me.id}`;
    assert.equal(await backend.stopRemote(key), "idle", "nothing runs on the server any more");
  });
});

describe("pocketpaw serve with Telegram, killed mid-turn and started again", () => {
  let rig: TelegramRig;
  const children: ChildProcess[] = [];
  before(async () => {
    rig = await telegramRig();
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await rig?.close();
  });

  /** `pocketpaw serve` as its own process; resolves with it once Telegram runs. */
  async function serve(): Promise<{ child: ChildProcess; output: () => CliResult; exited: Promise<CliResult> }> {
    const env = {
      ...real.env,
      POCKETPAW_HOME: rig.home,
      POCKETPAW_DASHBOARD_PORT: String(await freePort()),
      POCKETPAW_TELEGRAM_BOT_TOKEN: rig.telegram.token,
      POCKETPAW_TELEGRAM_ALLOWED_USERS: String(OWNER.id),
      POCKETPAW_TELEGRAM_API_ROOT: rig.telegram.apiRoot,
    };
    let started: { child: ChildProcess; output: () => CliResult } | undefined;
    const exited = runCli(["serve"], env, { timeoutMs: 60_000, onStart: (child, output) => (started = { child, output }) });
    exited.catch(() => {});
    const s = started as unknown as { child: ChildProcess; output: () => CliResult };
    children.push(s.child);
    await eventually(
      () => s.output().stderr.includes("Telegram: running"),
      20_000,
      `serve's Telegram channel (stderr: ${s.output().stderr})`,
    );
    return { ...s, exited };
  }

  test("the update is handled exactly once, and the chat is told the turn was interrupted", async () => {
    const chat = privateChat(OWNER);
    // Long enough to be killed in the middle; short enough that the server, which finishes it
    // anyway, is soon free for the next message of the same conversation.
    const prompt = "[[chunks:40]][[delay:50]] the long one";
    const first = await serve();
    rig.telegram.say(chat, OWNER, prompt);
    await whenChat(rig.telegram, OWNER.id, (m) => m.some((x) => visible(x).startsWith("w0")), "the turn to be under way", 30_000);
    first.child.kill("SIGKILL");
    await first.exited;
    rig.telegram.say(chat, OWNER, "[[reply:after the restart]]");

    const second = await serve();
    await whenChat(
      rig.telegram,
      OWNER.id,
      (m) => m.some((x) => /pocketpaw restarted; your message “\[\[chunks:40\]\]/.test(visible(x))),
      "the interrupted note",
      30_000,
    );
    await whenChat(rig.telegram, OWNER.id, (m) => m.some((x) => visible(x) === "after the restart"), "the message sent while down", 30_000);
    const asked = real.model.requests.filter((r) => !r.isTitle && r.userText.includes("the long one"));
    assert.equal(asked.length, 1, "the interrupted message was not sent to the agent again");
    assert.equal(rig.telegram.pendingUpdates, 0);
    second.child.kill("SIGTERM");
    const end = await second.exited;
    assert.equal(end.code, 0, end.stderr);
  });
});
