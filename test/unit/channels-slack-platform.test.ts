import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type AgentEvent, doneEvent } from "../../src/agent/events.js";
import { checkChannels } from "../../src/channels/index.js";
import { checkSlack } from "../../src/channels/slack/check.js";
import { loadSettings } from "../../src/config/settings.js";
import { FakeBackend } from "../support/fake-backend.js";
import { eventually } from "../support/run.js";
import { GENERAL, newDm, OWNER, type SlackRig, shown, slackRig, whenChat } from "../support/slack-channel.js";

const text = (content: string): AgentEvent => ({ type: "message", content, metadata: { partId: "p", messageId: "m" } });
const done = () => doneEvent({ stopped: false, failed: false });
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const echo = new FakeBackend(async function* (message) {
  await wait(5);
  yield text(`echo: ${message}`);
  yield done();
});

describe("the Slack channel and Slack's ways (429, floods, files, reconnects, tokens)", () => {
  let rig: SlackRig;
  before(async () => {
    rig = await slackRig({ intervalMs: 20, updatesPerMinute: 6000, typingMs: 300 });
  });
  after(() => rig.close());
  const session = (backend: FakeBackend, body: () => Promise<void>) => rig.session(backend, body);

  test("429 with Retry-After is waited out, for posts and for edits: nothing lost", async () => {
    const backend = new FakeBackend(async function* () {
      yield text("first part, ");
      await wait(100);
      yield text("second part.");
      yield done();
    });
    await session(backend, async () => {
      const dm = newDm();
      rig.slack.rateLimit("chat.postMessage", 2, 1);
      rig.slack.rateLimit("chat.update", 1, 1);
      rig.slack.say(OWNER, dm, "despite limits");
      const [reply] = await whenChat(rig.slack, dm, (m) => shown(m[0]) === "first part, second part.", "the whole reply", 15_000);
      assert.equal(reply?.history[0]?.trim(), "first part,");
      const posts = rig.slack.callsOf("chat.postMessage");
      assert.deepEqual(
        posts.map((c) => c.status),
        [429, 429, 200],
      );
      // Each retry came after the Retry-After second, not before.
      assert.ok((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0) >= 1000 && (posts[2]?.at ?? 0) - (posts[1]?.at ?? 0) >= 1000);
      const edits = rig.slack.callsOf("chat.update");
      assert.equal(edits[0]?.status, 429);
      assert.ok(edits.some((c) => c.status === 200));
      assert.equal(rig.slack.inChat(dm).length, 1);
    });
  });

  test("a flood of 50 messages to one thread: every one answered once, in order, every envelope acknowledged", async () => {
    await session(echo, async () => {
      echo.runs.length = 0;
      const thread = rig.slack.say(OWNER, GENERAL, "<@U0BOT> m0");
      for (let i = 1; i < 50; i++) rig.slack.say(OWNER, GENERAL, `m${i}`, { thread_ts: thread });
      const answers = (m: { text: string }[]) => m.filter((x) => x.text.startsWith("echo:"));
      const messages = await whenChat(rig.slack, GENERAL, (m) => answers(m).length === 50, "50 answers", 30_000, thread);
      // Each answer once (a queued message's notice becomes its answer, so the thread's order is the notices').
      assert.deepEqual(
        answers(messages)
          .map((m) => m.text)
          .sort((x, y) => Number(x.slice(7)) - Number(y.slice(7))),
        Array.from({ length: 50 }, (_, i) => `echo: m${i}`),
      );
      assert.deepEqual(
        echo.runs.map((r) => r.message),
        Array.from({ length: 50 }, (_, i) => `m${i}`),
        "the agent got them in order",
      );
      assert.ok(echo.runs.every((r) => r.options.sessionKey === `slack:${GENERAL}:${thread}`));
      const events = rig.slack.envelopes.filter((e) => e.type === "events_api");
      await eventually(() => events.every((e) => rig.slack.acked(e.envelope_id)), 5000, "every envelope acknowledged");
      // The bot's own posts came back as events too (as Slack sends them) and started nothing.
      assert.equal(echo.runs.length, 50);
    });
  });

  test("a file sent to the bot reaches the agent (downloaded with the bot token); a long tool output comes back as a file", async () => {
    const backend = new FakeBackend(async function* () {
      yield { type: "tool_use", content: "bash cat", metadata: { name: "bash", input: {}, callId: "c1", summary: "cat notes.md" } };
      yield { type: "tool_result", content: "x".repeat(4000), metadata: { name: "bash", callId: "c1", isError: false } };
      yield text("read it");
      yield done();
    });
    await session(backend, async () => {
      const dm = newDm();
      const bytes = Buffer.from("# notes\nhello\n");
      rig.slack.say(OWNER, dm, "summarise this", { files: [{ name: "notes.md", mimetype: "text/markdown", bytes }] });
      const messages = await whenChat(rig.slack, dm, (m) => m.some((x) => x.text === "read it"), "the reply");
      const [file] = backend.runs[0]?.options.files ?? [];
      assert.equal(file?.name, "notes.md");
      assert.equal(file?.mime, "text/markdown");
      assert.equal(Buffer.from(file?.data ?? []).toString(), bytes.toString());
      const upload = messages.find((m) => m.file);
      assert.equal(upload?.file?.bytes.toString(), "x".repeat(4000));
      assert.equal(upload?.file?.name, "bash-output.txt");
      assert.match(upload?.file?.comment ?? "", /Output of bash: cat notes\.md/);
      assert.match(shown(messages[0]), /✓ \*bash\* `cat notes\.md`/);
    });
  });

  test("/pocketpaw in a DM runs the command; in a channel it says to use !commands in the thread", async () => {
    await session(echo, async () => {
      const dm = newDm();
      const inDm = rig.slack.slash(OWNER, dm, "new");
      await whenChat(rig.slack, dm, (m) => m.some((x) => x.text.includes("New conversation")), "the new conversation");
      assert.ok(rig.slack.acked(inDm));
      const inChannel = rig.slack.slash(OWNER, GENERAL, "stop");
      await eventually(() => rig.slack.acked(inChannel), 5000, "the ack");
      assert.match(JSON.stringify(rig.slack.acks.get(inChannel)?.payload), /ephemeral.*!stop/);
    });
  });

  test("a dropped connection and Slack's refresh request are reconnected; messages after it are answered", async () => {
    await session(echo, async () => {
      const dm = newDm();
      const opened = rig.slack.connections;
      // Slack failing the first two tries to reconnect: the state says so, and the third one connects.
      rig.slack.failNext("apps.connections.open", "internal_error", 2);
      rig.slack.dropConnections();
      await eventually(() => rig.handles[0]?.state().state === "retrying", 5000, "the state to say so");
      await eventually(() => rig.handles[0]?.state().state === "running" && rig.slack.connected === 1, 5000, "connected again");
      assert.ok(rig.lines.some((l) => l.includes("Slack refused to open the Socket Mode connection (internal_error). Trying again")));
      rig.slack.requestRefresh();
      await eventually(() => rig.slack.connections === opened + 2 && rig.slack.connected === 1, 5000, "the refresh");
      assert.equal(rig.handles[0]?.state().state, "running");
      rig.slack.say(OWNER, dm, "still there?");
      await whenChat(rig.slack, dm, (m) => m.some((x) => x.text === "echo: still there?"), "the reply");
      assert.ok(rig.lines.some((l) => l.includes("connected to Slack again")));
    });
  });

  test("a turn cut short by a restart is reported in its thread at the next start, and not run again", async () => {
    const endless = new FakeBackend(async function* (_m, options) {
      yield text("starting");
      await new Promise((resolve) => options.signal?.addEventListener("abort", resolve, { once: true }));
      yield doneEvent({ stopped: true, failed: false });
    });
    await rig.start(endless);
    const thread = rig.slack.say(OWNER, GENERAL, "<@U0BOT> a long job");
    await whenChat(rig.slack, GENERAL, (m) => m.some((x) => x.text.startsWith("starting")), "the turn to start", 10_000, thread);
    await rig.stop();
    await session(echo, async () => {
      const messages = await whenChat(
        rig.slack,
        GENERAL,
        (m) => m.some((x) => shown(x).includes("pocketpaw restarted")),
        "the notice",
        10_000,
        thread,
      );
      assert.match(shown(messages.at(-1)), /your message “a long job” was interrupted/);
      assert.equal(endless.runs.length, 1);
      assert.ok(!echo.runs.some((r) => r.message === "a long job"), "not run again by itself");
    });
  });

  test("a connection on which Slack never says hello is given up after a while and tried again", async () => {
    rig.slack.sayHello = false;
    const opens = rig.slack.connections;
    const [handle] = await rig.start(echo, { options: { overrides: { slack: { helloTimeoutMs: 300, retry: { retries: 0 } } } } });
    try {
      await eventually(() => handle?.state().state === "retrying", 5000, "the start to fail");
      assert.match(handle?.state().detail ?? "", /did not say hello on the Socket Mode connection/);
      rig.slack.sayHello = true;
      await eventually(() => handle?.state().state === "running", 5000, "connected once Slack says hello");
      assert.ok(rig.slack.connections >= opens + 2);
    } finally {
      rig.slack.sayHello = true;
      await rig.stop();
    }
  });

  test("a refused app-level token stops the channel with a sentence naming the setting; no retrying", async () => {
    await rig.start(echo, { env: { POCKETPAW_SLACK_APP_TOKEN: "xapp-1-wrong" } });
    try {
      await eventually(() => rig.lines.some((l) => l.includes("not started")), 5000, "the failure");
      assert.equal(rig.handles[0]?.state().state, "failed");
      assert.match(rig.handles[0]?.state().detail ?? "", /app-level token \(invalid_auth\).*POCKETPAW_SLACK_APP_TOKEN/);
      const opens = rig.slack.callsOf("apps.connections.open").length;
      await wait(500);
      assert.equal(rig.slack.callsOf("apps.connections.open").length, opens);
      assert.ok(
        rig.lines.every((l) => !l.includes("wrong")),
        "never a token in the log",
      );
    } finally {
      await rig.stop();
    }
  });

  test("doctor: auth.test names the bot; a refused bot token, a missing app token, a token of the wrong kind are failures with a fix", async () => {
    const { slack } = rig;
    const ok = await checkSlack(slack.botToken, slack.appToken, slack.apiUrl);
    assert.equal(ok.status, "ok");
    assert.match(ok.detail, /@pocketpaw in Fake Workspace \(Socket Mode\)/);
    const refused = await checkSlack("xoxb-1-wrong", slack.appToken, slack.apiUrl);
    assert.equal(refused.status, "fail");
    assert.match(`${refused.detail} ${refused.fix}`, /bot token \(invalid_auth\).*Bot User OAuth Token/);
    const swapped = await checkSlack(slack.botToken, slack.botToken, slack.apiUrl);
    assert.match(swapped.detail, /app-level token \(not_allowed_token_type\)/);
    const env = {
      POCKETPAW_HOME: rig.home,
      POCKETPAW_SLACK_BOT_TOKEN: slack.botToken,
      POCKETPAW_SLACK_API_URL: slack.apiUrl,
      POCKETPAW_SLACK_ALLOWED_USERS: "*",
    };
    const [missing] = await checkChannels(loadSettings({ env, cwd: rig.home }));
    assert.equal(missing?.status, "fail");
    assert.match(missing?.detail ?? "", /POCKETPAW_SLACK_APP_TOKEN is not set/);
  });
});
