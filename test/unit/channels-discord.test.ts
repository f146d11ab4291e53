import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  buttonsOf,
  type DiscordRig,
  discordRig,
  done,
  FRIEND,
  OWNER,
  STRANGER,
  shown,
  stopped,
  text,
  wait,
  whenChannel,
} from "../support/discord-channel.js";
import { askingBackend, FakeBackend, permissionBackend } from "../support/fake-backend.js";
import { eventually } from "../support/run.js";

describe("the Discord channel (fake Discord, fake backend)", () => {
  let rig: DiscordRig;
  before(async () => {
    // Fast pacing and a short rate-limit window: these tests are about what is said;
    // channels-discord-limits.test.ts is about how fast.
    rig = await discordRig({ windowMs: 300 });
  });
  after(() => rig.close());
  const session = (backend: FakeBackend, body: () => Promise<void>) => rig.session(backend, body, { intervalMs: 30 });

  test("connects, registers the slash commands, answers a DM; nobody is ever pinged", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    await session(new FakeBackend(), async () => {
      assert.equal(rig.handles[0]?.state().state, "running");
      await eventually(() => rig.discord.commands.length > 0, 5000, "the slash commands registered");
      assert.deepEqual(
        rig.discord.commands.map((c) => c.name),
        ["new", "stop", "model", "agent", "undo", "sessions", "help"],
      );
      const model = rig.discord.commands.find((c) => c.name === "model") as {
        options?: Array<{ name: string; type: number; required: boolean }>;
      };
      assert.deepEqual(
        model.options?.map((o) => [o.name, o.type, o.required]),
        [["value", 3, false]],
      );
      const id = rig.discord.say(dm, OWNER, "hello");
      const [reply] = await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x) === "echo: hello"), "the reply");
      assert.equal(reply?.replyTo, id);
      assert.deepEqual(reply?.allowedMentions, { parse: [], replied_user: false });
      assert.deepEqual(reply?.mentions, [], "the asker is not pinged by the reply");
    });
  });

  test("@everyone, @here and <@id> in a model's reply ping nobody and show as written", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    const reply = `Hey @everyone and @here, ask <@${FRIEND.id}> or <@&123456789012> in <#98765432101>; **bold** _it_ ~~gone~~ ||spoiler||`;
    const backend = new FakeBackend(async function* () {
      yield text(reply);
      yield done();
    });
    await session(backend, async () => {
      rig.discord.say(dm, OWNER, "ping them");
      const [message] = await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x).includes("spoiler")), "the reply");
      assert.ok(message);
      assert.equal(message.mentionEveryone, false);
      assert.deepEqual(message.mentions, []);
      assert.doesNotMatch(message.content, /@everyone|@here|(?<!\\)<@/);
      assert.equal(
        shown(message),
        `Hey @everyone and @here, ask <@${FRIEND.id}> or <@&123456789012> in <#98765432101>; **bold** *it* ~~gone~~ \\|\\|spoiler\\|\\|`.replace(
          /\\\|/g,
          "|",
        ),
      );
      assert.match(message.content, /\*\*bold\*\* \*it\* ~~gone~~ \\\|\\\|spoiler\\\|\\\|/);
      // Every call that carried content also carried allowed_mentions {parse: []}.
      assert.ok(
        rig.discord.messages
          .filter((m) => m.author.id === rig.discord.bot.id && !(m.flags & 64))
          .every((m) => m.allowedMentions?.parse?.length === 0),
      );
    });
  });

  test("a long reply is split into messages of at most 2,000 characters, code blocks kept whole, nothing lost", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    const paragraph = (i: number) => `Paragraph ${i} has **bold**, a_b & \`code\`. ${"filler ".repeat(40)}`;
    const code = `\`\`\`ts\n${Array.from({ length: 60 }, (_, i) => `const line${i} = ${i}; // ${"x".repeat(20)}`).join("\n")}\n\`\`\``;
    const reply = [...Array.from({ length: 12 }, (_, i) => paragraph(i)), code, paragraph(12)].join("\n\n");
    const backend = new FakeBackend(async function* () {
      for (let i = 0; i < reply.length; i += 700) yield text(reply.slice(i, i + 700));
      yield done();
    });
    await session(backend, async () => {
      rig.discord.say(dm, OWNER, "write a lot");
      const messages = await whenChannel(rig.discord, dm, (m) => m.length >= 3 && shown(m.at(-1)).includes("Paragraph 12"), "every page");
      await wait(200);
      const all = rig.discord.inChannel(dm);
      assert.ok(all.every((m) => m.content.length <= 2000));
      const joined = all.map(shown).join("\n\n");
      for (let i = 0; i <= 12; i++) assert.ok(joined.includes(`Paragraph ${i} has **bold**, a_b & \`code\`.`), `paragraph ${i}`);
      for (let i = 0; i < 60; i++) assert.ok(joined.includes(`const line${i} = ${i};`), `code line ${i}`);
      // Each page's code fences are balanced: a block cut in two is closed and reopened.
      for (const m of all) assert.equal((m.content.match(/```/g) ?? []).length % 2, 0);
      assert.ok(messages.length >= 3);
    });
  });

  test("a permission is asked with buttons, a stranger's press is refused, an allowed press answers it", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    const backend = permissionBackend();
    await session(backend, async () => {
      rig.discord.say(dm, OWNER, "clean up");
      const [prompt] = await whenChannel(rig.discord, dm, (m) => m.some((x) => x.components.length > 0), "the prompt");
      assert.ok(prompt);
      assert.deepEqual(
        buttonsOf(prompt).map((b) => b.label),
        ["Allow once", "Always", "Reject"],
      );
      assert.match(shown(prompt), /Allow bash\?/);
      const foreign = rig.discord.press(STRANGER, prompt, buttonsOf(prompt)[0]?.id ?? "");
      await eventually(
        () => rig.discord.interactions.get(foreign)?.replies.some((r) => r.content === "Not allowed." && r.ephemeral),
        5000,
        "the stranger's press refused",
      );
      assert.equal(rig.discord.interactions.get(foreign)?.acked, 4, "refused with an ephemeral reply");
      assert.deepEqual(backend.replies, []);
      const press = rig.discord.press(OWNER, prompt, buttonsOf(prompt)[1]?.id ?? "");
      const messages = await whenChannel(
        rig.discord,
        dm,
        // The reply and the prompt's edit go out independently: either may come first.
        (m) => m.some((x) => shown(x).includes("reply was always")) && m.some((x) => x.id === prompt.id && x.components.length === 0),
        "the reply after the answer, and the prompt closed",
      );
      assert.deepEqual(backend.replies, [{ id: "per_1", reply: "always" }]);
      assert.ok(rig.discord.interactions.get(press)?.acked, "the press was acknowledged");
      const answered = messages.find((m) => m.id === prompt.id);
      assert.match(shown(answered), /Always allowed by @owner/);
      assert.deepEqual(answered?.components, []);
    });
  });

  test("questions are answered with buttons: one choice, several (toggles and Done), in turn", async () => {
    const dm = rig.discord.dmChannel(FRIEND);
    const backend = askingBackend(["XS", "S", "M", "L", "XL", "XXL"]);
    await session(backend, async () => {
      rig.discord.say(dm, FRIEND, "ask me");
      const press = async (label: string) => {
        const [message] = await whenChannel(
          rig.discord,
          dm,
          (m) => m.some((x) => buttonsOf(x).some((b) => b.label === label)),
          `a "${label}" button`,
        );
        // As a person would, not within a millisecond of the message appearing: the core takes
        // the prompt as pending once Discord's answer to its POST is back, a moment after.
        await wait(150);
        const found = rig.discord.inChannel(dm).find((x) => buttonsOf(x).some((b) => b.label === label)) ?? message;
        assert.ok(found);
        const id = rig.discord.press(FRIEND, found, buttonsOf(found).find((b) => b.label === label)?.id ?? "");
        await eventually(() => rig.discord.interactions.get(id)?.acked, 5000, `the press of ${label} acknowledged`);
        return found;
      };
      await press("Blue");
      const sizes = await press("S");
      // Eight buttons (six sizes, Done, Reject) in rows of at most five, as Discord requires.
      assert.ok(sizes.components.length <= 5 && sizes.components.every((row) => row.components.length <= 5));
      await press("XXL");
      await whenChannel(rig.discord, dm, (m) => m.some((x) => buttonsOf(x).some((b) => b.label === "✅ XXL")), "the toggle shown");
      await press("Done");
      const messages = await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x) === "thanks"), "the reply");
      assert.deepEqual(backend.answers, [{ id: "que_1", answer: [["Blue"], ["S", "XXL"]] }]);
      const record = shown(messages.find((m) => shown(m).includes("Colour")));
      assert.match(record, /Colour: Blue — @friend/);
      assert.match(record, /Sizes: S, XXL — @friend/);
    });
  });

  test("/stop as a slash command stops the running turn; the command is acknowledged only to its user", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    const backend = new FakeBackend(async function* (_m, options) {
      yield text("working on it");
      await stopped(options);
      yield done(true);
    });
    await session(backend, async () => {
      rig.discord.say(dm, OWNER, "long job");
      await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x).includes("working on it")), "the turn to start");
      const slash = rig.discord.slash(dm, OWNER, "stop");
      const messages = await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x).includes("⏹ Stopped.")), "the stopped reply");
      assert.ok(messages.some((m) => shown(m).includes("Stopping the current turn")));
      assert.equal(backend.runs[0]?.options.signal?.aborted, true);
      const interaction = rig.discord.interactions.get(slash);
      assert.equal(interaction?.acked, 4);
      assert.deepEqual(interaction?.replies, [{ content: "/stop", ephemeral: true }]);
    });
  });

  test("typed commands work too (!model, /help) when slash commands have not reached the client", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    await session(new FakeBackend(), async () => {
      rig.discord.say(dm, OWNER, "!model fake/one");
      await whenChannel(
        rig.discord,
        dm,
        (m) => m.some((x) => shown(x).includes("Model: fake/one, from the next message on.")),
        "the model chosen",
      );
      rig.discord.say(dm, OWNER, "/help");
      await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x).includes("/stop — Stop the current turn")), "the help");
      rig.discord.say(dm, OWNER, "!important: not a command");
      await whenChannel(rig.discord, dm, (m) => m.some((x) => shown(x) === "echo: !important: not a command"), "an ordinary message");
    });
  });

  test("a stranger gets one short reply with their id, and their messages never reach the agent", async () => {
    const dm = rig.discord.dmChannel(STRANGER);
    const backend = new FakeBackend();
    await session(backend, async () => {
      rig.discord.say(dm, STRANGER, "let me in");
      rig.discord.say(dm, STRANGER, "please");
      const [refusal] = await whenChannel(rig.discord, dm, (m) => m.length > 0, "the refusal");
      assert.match(shown(refusal), new RegExp(`not allowed.*Your user id is ${STRANGER.id}.*POCKETPAW_DISCORD_ALLOWED_USERS`));
      await wait(300);
      assert.equal(rig.discord.inChannel(dm).length, 1, "told once");
      assert.equal(backend.runs.length, 0);
    });
  });

  test("in a server channel: only messages that mention the bot; two channels at once without cross-talk", async () => {
    const alpha = rig.discord.textChannel("alpha");
    const beta = rig.discord.textChannel("beta");
    const backend = new FakeBackend(async function* (message) {
      for (let i = 0; i < 5; i++) {
        yield text(`${message}-${i} `);
        await wait(20);
      }
      yield done();
    });
    await session(backend, async () => {
      const bot = `<@${rig.discord.bot.id}>`;
      rig.discord.say(alpha, OWNER, "just chatting, not for the bot");
      rig.discord.say(alpha, OWNER, `${bot} alpha`);
      rig.discord.say(beta, FRIEND, `beta ${bot}`);
      const a = await whenChannel(
        rig.discord,
        alpha,
        (m) => shown(m[0]).trim() === "alpha-0 alpha-1 alpha-2 alpha-3 alpha-4",
        "alpha's reply",
      );
      const b = await whenChannel(rig.discord, beta, (m) => shown(m[0]).trim() === "beta-0 beta-1 beta-2 beta-3 beta-4", "beta's reply");
      assert.equal(a.length, 1);
      assert.equal(b.length, 1);
      assert.deepEqual(backend.runs.map((r) => r.message).sort(), ["alpha", "beta"]);
      assert.deepEqual(backend.runs.map((r) => r.options.sessionKey).sort(), [`discord:${alpha.id}`, `discord:${beta.id}`].sort());
      // A reply to the bot's message addresses it too.
      rig.discord.say(alpha, OWNER, "and more", { replyTo: a[0]?.id ?? "" });
      await whenChannel(rig.discord, alpha, (m) => m.some((x) => shown(x).startsWith("and more-0")), "the answer to a reply");
    });
  });

  test("files: an attachment goes to the agent; a long tool output comes back as a file", async () => {
    const dm = rig.discord.dmChannel(OWNER);
    const backend = new FakeBackend(async function* (message, options) {
      const file = options.files?.[0];
      yield text(
        `got ${file?.name} (${file?.mime}, ${file?.data.byteLength} bytes): ${Buffer.from(file?.data ?? []).toString()} / ${message}`,
      );
      yield { type: "tool_use", content: "bash ls", metadata: { name: "bash", input: { command: "ls" }, callId: "c1", summary: "ls" } };
      yield { type: "tool_result", content: "y".repeat(3000), metadata: { name: "bash", callId: "c1", isError: false } };
      yield done();
    });
    await session(backend, async () => {
      rig.discord.say(dm, OWNER, "read this", { files: [{ name: "notes.md", mime: "text/markdown", bytes: Buffer.from("# hi") }] });
      const messages = await whenChannel(rig.discord, dm, (m) => m.some((x) => x.attachments.length > 0), "the output file");
      assert.ok(messages.some((m) => shown(m).includes("got notes.md (text/markdown, 4 bytes): # hi / read this")));
      const file = messages.find((m) => m.attachments.length)?.attachments[0];
      assert.equal(file?.filename, "bash-output.txt");
      assert.equal(file?.bytes.toString(), "y".repeat(3000));
    });
  });
});
