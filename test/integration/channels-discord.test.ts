import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buttonsOf, type DiscordRig, discordRig, OWNER, shown, whenChannel } from "../support/discord-channel.js";
import { useRealServer } from "../support/real-server.js";

// bash asks first, so that a permission is answered by a button.
const real = useRealServer({ extraConfig: { permission: { bash: "ask" } } });

describe("the Discord channel on the real OpenCode server (fake Discord, scripted model)", () => {
  let rig: DiscordRig;
  before(async () => {
    rig = await discordRig({ windowMs: 1000 });
  });
  after(() => rig.close());

  test("a streamed reply is shown by live edits; a permission is answered by a button; nobody is pinged", async (t) => {
    const dm = rig.discord.dmChannel(OWNER);
    await rig.start(real.backend(), { intervalMs: 200 });
    try {
      const sentAt = Date.now();
      // Spread over 4 s, so that edits show even when a loaded machine delivers the stream in bursts.
      rig.discord.say(dm, OWNER, "[[chunks:40]][[delay:100]]");
      const expected = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
      const [reply] = await whenChannel(rig.discord, dm, (m) => shown(m[0]).trim() === expected, "the streamed reply", 30_000);
      assert.ok(reply);
      const first = rig.discord.calls.find((c) => c.method === "POST" && c.path === `/channels/${dm.id}/messages`);
      assert.ok(reply.edits >= 2, `streamed by edits (${reply.edits})`);
      // A second turn: the session exists, so this is the delay a person sees in a conversation.
      const again = Date.now();
      rig.discord.say(dm, OWNER, "[[chunks:20]][[delay:40]]");
      await whenChannel(
        rig.discord,
        dm,
        (m) => m.some((x) => shown(x).trim() === Array.from({ length: 20 }, (_, i) => `w${i}`).join(" ")),
        "the second reply",
        30_000,
      );
      const second = rig.discord.calls.filter((c) => c.method === "POST" && c.path === `/channels/${dm.id}/messages`)[1];
      const figures = `first message ${(first?.at ?? 0) - sentAt} ms after the user's in a new conversation (session created, server and model included), ${(second?.at ?? 0) - again} ms in a going one; ${reply.edits} edits of a 1.6 s reply at a 200 ms pace`;
      t.diagnostic(figures);
      console.log(`# discord on the real server: ${figures}`);

      rig.discord.say(dm, OWNER, "[[bash:echo allowed]]");
      const prompt = (
        await whenChannel(rig.discord, dm, (m) => m.some((x) => buttonsOf(x).length > 0), "the permission prompt", 30_000)
      ).find((x) => buttonsOf(x).length > 0);
      assert.ok(prompt);
      assert.match(shown(prompt), /Allow bash\?/);
      assert.match(shown(prompt), /echo allowed/);
      rig.discord.press(OWNER, prompt, buttonsOf(prompt).find((b) => b.label === "Allow once")?.id ?? "");
      const messages = await whenChannel(
        rig.discord,
        dm,
        (m) =>
          m.some((x) => shown(x).includes("Tool result received: allowed")) &&
          m.some((x) => x.id === prompt.id && x.components.length === 0),
        "the answer after the tool, and the prompt closed",
        30_000,
      );
      assert.match(shown(messages.find((m) => m.id === prompt.id)), /Allowed once by @owner/);
      // The step shown above the prompt, one line, gets its ✓ there once the tool ran.
      await whenChannel(
        rig.discord,
        dm,
        (m) => m.some((x) => /^✓ \*\*bash\*\* `echo allowed`$/.test(x.content)),
        "the tool step's ✓",
        10_000,
      );

      rig.discord.say(dm, OWNER, "[[reply:Attention @everyone and @here: done]]");
      const [ping] = (
        await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x).includes("here: done")), "the reply", 30_000)
      ).filter((m) => shown(m).includes("Attention"));
      assert.equal(ping?.mentionEveryone, false);
      assert.equal(shown(ping), "Attention @everyone and @here: done");
      assert.equal(rig.discord.calls.filter((c) => c.status === 429).length, 0);
    } finally {
      await rig.stop();
    }
  });
});
