import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hasScript, type PtySession, runCliOnPty } from "../support/pty.js";
import { useRealServer } from "../support/real-server.js";

const real = useRealServer({ extraConfig: { permission: { bash: "ask" } } });

before(() => {
  assert.ok(hasScript(), "these tests need util-linux `script` for a pseudo-terminal: apt-get install bsdutils");
});

// `pocketpaw chat` and `ask` on a pseudo-terminal: type-ahead, the agent's questions, the agent on the prompt.
const sessions: PtySession[] = [];
after(() => {
  for (const s of sessions) s.kill();
});

function onPty(args: string[]): PtySession {
  const session = runCliOnPty(args, real.env);
  sessions.push(session);
  return session;
}

/** The prompts the scripted model was sent, in order, among `wanted`. */
const prompts = (wanted: string[]) => real.model.requests.filter((q) => !q.isTitle && wanted.includes(q.userText)).map((q) => q.userText);

describe("type-ahead in chat on a terminal", () => {
  test("lines typed during a turn are shown as queued and sent in order when it ends; a line without Enter waits in the prompt", async () => {
    const t = onPty(["chat", "--session", "tty:ahead"]);
    await t.waitFor(/tty:ahead › $/);
    // A first turn: a fresh server's first can come in one burst at its end on a loaded machine,
    // leaving no "during the turn" to type in.
    t.type("[[reply:warm]]\r");
    await t.waitFor(/warm\ntokens[^\n]*\n\ntty:ahead › $/);
    t.type("[[delay:40]][[chunks:30]]\r");
    await t.waitFor(/w2 /);
    t.type("[[reply:second answer]]\r");
    await t.waitFor(/queued: \[\[reply:second answer\]\]\n/);
    t.type("[[reply:third answer]]\r");
    await t.waitFor(/queued: \[\[reply:third answer\]\]\n/);
    t.type("not yet sent");
    await t.waitFor(/w29 \ntokens/);
    // (Spinner frames, drawn and erased on the terminal, stay in the text: hence the [^\n]*.)
    await t.waitFor(/tty:ahead › \[\[reply:second answer\]\]\n[^\n]*second answer\ntokens/);
    await t.waitFor(/tty:ahead › \[\[reply:third answer\]\]\n[^\n]*third answer\ntokens/);
    await t.waitFor(/tty:ahead › not yet sent$/);
    assert.ok(!t.text().includes("w29 second"), "the queued line did not break into the reply");
    assert.deepEqual(prompts(["[[delay:40]][[chunks:30]]", "[[reply:second answer]]", "[[reply:third answer]]"]), [
      "[[delay:40]][[chunks:30]]",
      "[[reply:second answer]]",
      "[[reply:third answer]]",
    ]);
    t.type("\u0015/exit\r"); // Ctrl-U clears the line first
    assert.equal(await t.exited(), 0);
  });

  test("Ctrl-D typed during a turn, on an empty line, leaves once the queued lines are sent (as in a shell)", async () => {
    const t = onPty(["chat", "--session", "tty:ahead-eof"]);
    await t.waitFor(/tty:ahead-eof › $/);
    t.type("[[delay:200]][[chunks:20]]\r");
    await t.waitFor(/w2 /);
    t.type("[[reply:last words]]\r\u0004");
    await t.waitFor(/queued: \[\[reply:last words\]\]\n/);
    assert.equal(await t.exited(), 0);
    assert.match(t.text(), /w19 \ntokens[\s\S]*last words\ntokens/);
    assert.deepEqual(prompts(["[[reply:last words]]"]), ["[[reply:last words]]"]);
  });

  test("a line and Ctrl-D typed together at the prompt: the line is sent, then the chat leaves", async () => {
    const t = onPty(["chat", "--session", "tty:line-eof"]);
    await t.waitFor(/tty:line-eof › $/);
    t.type("[[reply:sent, then gone]]\r\u0004");
    assert.equal(await t.exited(), 0);
    assert.match(t.text(), /sent, then gone\ntokens/);
  });

  test("Ctrl-C stops the turn and keeps the queue: each queued line waits in the prompt, sent with Enter", async () => {
    const t = onPty(["chat", "--session", "tty:ahead-stop"]);
    await t.waitFor(/tty:ahead-stop › $/);
    t.type("[[delay:100]][[chunks:200]]\r");
    await t.waitFor(/w2 /);
    t.type("[[reply:after the stop]]\r");
    await t.waitFor(/queued: \[\[reply:after the stop\]\]/);
    t.type("\u0003");
    await t.waitFor(/tokens .* · stopped\n/);
    await t.waitFor(/tty:ahead-stop › \[\[reply:after the stop\]\]$/);
    assert.deepEqual(prompts(["[[reply:after the stop]]"]), [], "not sent by itself");
    const from = t.text().length;
    t.type("\r");
    await t.waitFor(/after the stop\ntokens/, 30_000, from);
    await t.waitFor(/tty:ahead-stop › $/, 10_000, from);
    t.type("/exit\r");
    assert.equal(await t.exited(), 0);
  });

  test("a permission request during type-ahead is answered with its key; the queued line is not taken for the answer", async () => {
    const t = onPty(["chat", "--session", "tty:ahead-perm"]);
    await t.waitFor(/tty:ahead-perm › $/);
    t.type("[[delay:50]][[chunks:10]][[bash:printf ahead]]\r");
    // Typed at once, before the request shows: queued, with its "o" not an answer.
    t.type("[[reply:once more]]\r");
    await t.waitFor(/queued: \[\[reply:once more\]\]/);
    await t.waitFor(/Allow it\? \[o\]nce/);
    t.type("o");
    await t.waitFor(/allowed once \(answered\)/);
    await t.waitFor(/Tool result received: ahead\ntokens/);
    await t.waitFor(/tty:ahead-perm › \[\[reply:once more\]\]\n[^\n]*once more\ntokens/);
    t.type("/exit\r");
    assert.equal(await t.exited(), 0);
  });
});

describe("the agent's questions, and the agent, on a terminal", () => {
  test("chat --agent plan: the agent in the header and on the prompt; a question answered by its number", async () => {
    const t = onPty(["chat", "--agent", "plan", "--session", "tty:question"]);
    await t.waitFor(/tty:question: a new conversation · agent plan\n/);
    await t.waitFor(/tty:question · plan › $/);
    t.type("[[question:Pick a colour|Red=warm|Blue=cool]]\r");
    await t.waitFor(/\? Pick a colour: Pick a colour\n {2}1\. Red — warm\n {2}2\. Blue — cool\n/);
    await t.waitFor(/1–2 or your own words · Enter: 1 · Esc: reject › $/);
    t.type("3\r");
    await t.waitFor(/There is no option 3: pick 1–2, or type an answer\.\n.*Esc: reject › $/);
    t.type("2\r");
    await t.waitFor(/answered: Blue\n/);
    await t.waitFor(/Answer received: [^\n]*Blue/);
    await t.waitFor(/tty:question · plan › $/);
    t.type("/exit\r");
    assert.equal(await t.exited(), 0);
  });

  test("ask on a terminal: own words are an answer; Esc rejects", async () => {
    const words = onPty(["ask", "--session", "tty:q-words", "[[question:Which name?|Ada|Grace]]"]);
    await words.waitFor(/Esc: reject › $/);
    words.type("Barbara\r");
    await words.waitFor(/answered: Barbara\n/);
    await words.waitFor(/Answer received: [^\n]*Barbara/);
    assert.equal(await words.exited(), 0);

    const esc = onPty(["ask", "--session", "tty:q-esc", "[[question:Which name?|Ada|Grace]]"]);
    await esc.waitFor(/Esc: reject › $/);
    esc.type("\u001b");
    await esc.waitFor(/rejected \(Esc\)/);
    assert.equal(await esc.exited(), 0);
  });
});
