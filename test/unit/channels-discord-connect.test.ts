import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { checkChannels } from "../../src/channels/index.js";
import { loadSettings } from "../../src/config/settings.js";
import { type DiscordRig, discordRig, OWNER, shown, wait, whenChannel } from "../support/discord-channel.js";
import { FakeBackend } from "../support/fake-backend.js";
import { eventually } from "../support/run.js";

describe("connecting to Discord (fake Discord)", () => {
  let rig: DiscordRig;
  before(async () => {
    rig = await discordRig({ windowMs: 300 });
  });
  after(() => rig.close());
  const settings = (env: Record<string, string> = {}) =>
    loadSettings({
      env: {
        POCKETPAW_HOME: rig.home,
        POCKETPAW_DISCORD_BOT_TOKEN: rig.discord.token,
        POCKETPAW_DISCORD_ALLOWED_USERS: OWNER.id,
        POCKETPAW_DISCORD_API_URL: rig.discord.apiUrl,
        ...env,
      },
      cwd: rig.home,
    });

  test("doctor: the token is checked with GET /users/@me; a refused one says what to do", async () => {
    const [ok] = await checkChannels(settings());
    assert.equal(ok?.status, "ok");
    assert.match(ok?.detail ?? "", /^@paw \(id \d+\) at http:\/\/127\.0\.0\.1:\d+\/api, for 1 user$/);
    const [bad] = await checkChannels(settings({ POCKETPAW_DISCORD_BOT_TOKEN: "not.the.token" }));
    assert.equal(bad?.status, "fail");
    assert.match(bad?.detail ?? "", /Discord refused the bot token \(401\)/);
    assert.match(bad?.fix ?? "", /Developer Portal/);
    assert.doesNotMatch(JSON.stringify(bad), /not\.the\.token/);
    const [down] = await checkChannels(settings({ POCKETPAW_DISCORD_API_URL: "http://127.0.0.1:9/api" }));
    assert.equal(down?.status, "fail");
    assert.match(down?.detail ?? "", /Cannot reach Discord/);
  });

  test("a refused token stops the channel for good (no retries), saying why", async () => {
    const before = rig.discord.calls.length;
    const [handle] = await rig.start(new FakeBackend(), { env: { POCKETPAW_DISCORD_BOT_TOKEN: "not.the.token" } });
    try {
      assert.equal(handle?.state().state, "failed");
      assert.match(handle?.state().detail ?? "", /refused the bot token/);
      await wait(500);
      assert.equal(rig.discord.calls.slice(before).filter((c) => c.path === "/gateway/bot").length, 1, "not retried");
    } finally {
      await rig.stop();
    }
  });

  test("without the Message Content intent enabled, the gateway's 4014 is reported as such", async () => {
    rig.discord.messageContentEnabled = false;
    try {
      const [handle] = await rig.start(new FakeBackend());
      await eventually(() => handle?.state().state === "failed", 10_000, "the channel to fail");
      assert.match(handle?.state().detail ?? "", /Message Content intent/);
      assert.ok(rig.discord.gateway.closes.includes(4014));
    } finally {
      rig.discord.messageContentEnabled = true;
      await rig.stop();
    }
  });

  test("POCKETPAW_DISCORD_GATEWAY_URL is used instead of the gateway GET /gateway/bot names", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    rig.discord.announcedGateway = "ws://127.0.0.1:9/nowhere";
    try {
      const [handle] = await rig.start(new FakeBackend(), { env: { POCKETPAW_DISCORD_GATEWAY_URL: rig.discord.gatewayUrl } });
      assert.equal(handle?.state().state, "running");
      rig.discord.say(dm, OWNER, "via the override");
      await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x) === "echo: via the override"), "the reply");
    } finally {
      rig.discord.announcedGateway = "";
      await rig.stop();
    }
  });

  test("a dropped gateway connection is resumed; messages after it are answered", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    rig.discord.gateway.heartbeatIntervalMs = 41_250;
    const [handle] = await rig.start(new FakeBackend());
    try {
      const identifies = rig.discord.gateway.identifies.length;
      rig.discord.gateway.dropAll();
      await eventually(() => rig.discord.gateway.connections === 1, 10_000, "the reconnection");
      rig.discord.say(dm, OWNER, "still there?");
      await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x) === "echo: still there?"), "the reply after the drop");
      assert.equal(rig.discord.gateway.identifies.length, identifies, "resumed, not identified again");
      assert.equal(handle?.state().state, "running");
      assert.ok(rig.lines.some((l) => /reconnecting/.test(l)) && rig.lines.some((l) => /connected again/.test(l)), rig.lines.join("\n"));
    } finally {
      await rig.stop();
    }
    const lines = rig.lines.length;
    await wait(300);
    assert.deepEqual(rig.lines.slice(lines), [], "stopping is not reported as a lost connection");
  });
});
