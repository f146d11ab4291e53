import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { OpenCodeClient } from "../../src/opencode/rest/client.js";
import { hasScript, type PtySession, runCliOnPty } from "../support/pty.js";
import { useRealServer } from "../support/real-server.js";

const real = useRealServer({ extraConfig: { permission: { bash: "ask" } } });

before(() => {
  assert.ok(hasScript(), "these tests need util-linux `script` for a pseudo-terminal: apt-get install bsdutils");
});

after(() => {
  for (const s of sessions) s.kill();
});

// `pocketpaw chat` (and `ask`) on a pseudo-terminal: what only happens when a person is there.
const sessions: PtySession[] = [];

function onPty(args: string[], extra: Record<string, string> = {}): PtySession {
  const session = runCliOnPty(args, { ...real.env, ...extra });
  sessions.push(session);
  return session;
}

describe("pocketpaw chat on a terminal", () => {
  test("the reply streams; a permission question is answered with one key; the tool step is one line", async () => {
    const t = onPty(["chat", "--session", "tty:perm"]);
    await t.waitFor(/tty:perm: a new conversation\n\/help lists the commands/);
    await t.waitFor(/tty:perm › $/);
    t.type("[[delay:400]][[chunks:12]]\r");
    await t.waitFor(/w2 /);
    assert.ok(!t.text().includes("w11"), "the first words are on screen before the last are written");
    await t.waitFor(/w11 \ntokens 10 in, 5 out/);

    let from = t.text().length;
    t.type("[[bash:echo allowed]]\r");
    await t.waitFor(
      /\? OpenCode asks permission for bash: echo allowed\n.*Allow it\? \[o\]nce · \[a\]lways \(echo \*\) · \[r\]eject/,
      30_000,
      from,
    );
    t.type("a");
    await t.waitFor(/allowed always \(answered\)/, 30_000, from);
    await t.waitFor(/✓ bash echo allowed → allowed {2}#1\n/, 30_000, from);
    await t.waitFor(/Tool result received: allowed\ntokens 20 in, 10 out/, 30_000, from);
    assert.match(t.raw(), /\u001b\[36m/, "colours on a terminal");

    from = t.text().length;
    t.type("/output\r");
    await t.waitFor(/── output of #1 ──\nallowed\n/, 10_000, from);
    t.type("/exit\r");
    assert.equal(await t.exited(), 0);
  });

  test("Ctrl-C during a turn stops it on the server and the chat goes on; on an empty prompt Ctrl-C leaves", async () => {
    const t = onPty(["chat", "--session", "tty:stop"]);
    await t.waitFor(/tty:stop › $/);
    t.type("[[delay:100]][[chunks:200]]\r");
    await t.waitFor(/w3 /);
    t.type("\u0003");
    await t.waitFor(/Stopping the turn on the server… \(Ctrl-C again quits at once\)/);
    await t.waitFor(/tokens .* · stopped\n/);
    assert.ok(!t.text().includes("w199"), "the answer was cut short");
    // The server is not running the session any more.
    const statuses = await new OpenCodeClient({ baseUrl: real.server.url }).sessionStatus();
    assert.deepEqual(
      Object.values(statuses).filter((s) => s.type !== "idle"),
      [],
    );

    const from = t.text().length;
    t.type("[[reply:still here]]\r");
    await t.waitFor(/still here\ntokens/, 30_000, from);
    await t.waitFor(/tty:stop › $/, 10_000, from);
    t.type("half typed");
    t.type("\u0003"); // clears the line…
    t.type("\u0003"); // …and on the empty line, leaves
    assert.equal(await t.exited(), 0);
  });

  test("history: Up recalls a line of an earlier chat; NO_COLOR leaves out every colour", async () => {
    // A home of its own: the history file holds every line typed in this home's chats.
    const own = mkdtempSync(join(tmpdir(), "pocketpaw-tty-history-"));
    const first = onPty(["chat", "--session", "tty:history"], { NO_COLOR: "1", POCKETPAW_HOME: own });
    await first.waitFor(/tty:history › $/);
    first.type("[[reply:remember me]]\r");
    await first.waitFor(/remember me\ntokens/);
    first.type("\u0004"); // Ctrl-D
    assert.equal(await first.exited(), 0);
    assert.ok(!/\u001b\[(3\d|9\d|1|2|3)m/.test(first.raw()), "no colour or style codes with NO_COLOR");
    const history = join(own, "chat_history");
    assert.equal(readFileSync(history, "utf8"), "[[reply:remember me]]\n");
    assert.equal(statSync(history).mode & 0o777, 0o600);

    const second = onPty(["chat", "--session", "tty:history"], { POCKETPAW_HOME: own });
    await second.waitFor(/continuing "\[\[reply:remember me\]\]"/);
    await second.waitFor(/tty:history › $/);
    second.type("\u001b[A"); // Up
    await second.waitFor(/tty:history › \[\[reply:remember me\]\]$/);
    const from = second.text().length;
    second.type("\r");
    await second.waitFor(/remember me\ntokens/, 30_000, from);
    second.type("/exit\r");
    assert.equal(await second.exited(), 0);
    rmSync(own, { recursive: true, force: true });
  });
});

describe("pocketpaw ask on a terminal", () => {
  test("the permission question: r rejects; a second Ctrl-C quits at once with 130", async () => {
    // Not `echo …`: the chat test above allowed that pattern "always" on this server.
    const t = onPty(["ask", "--session", "tty:ask", "[[bash:printf no]]"]);
    await t.waitFor(/Allow it\? \[o\]nce/);
    t.type("r");
    await t.waitFor(/rejected \(answered\)/);
    await t.waitFor(/✗ bash printf no → The user rejected permission/);
    assert.equal(await t.exited(), 0);

    const long = onPty(["ask", "--session", "tty:ask2", "[[delay:200]][[chunks:200]]"]);
    await long.waitFor(/w1 /);
    long.type("\u0003");
    await long.waitFor(/Stopping the turn/);
    long.type("\u0003");
    assert.equal(await long.exited(), 130);
  });
});
