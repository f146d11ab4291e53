import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../support/cli.js";

const home = mkdtempSync(join(tmpdir(), "pocketpaw-demo-"));
after(() => rmSync(home, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(!socket.destroy()));
    socket.once("error", () => resolve(false));
  });
}

test("pocketpaw demo: a real server and the scripted model, streaming, a tool behind a permission question, usage; nothing left running", async () => {
  const r = await runCli(["demo"], { POCKETPAW_HOME: home }, { timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Hi! I am a scripted stand-in for a real model, but everything around me is real/);
  assert.match(r.stdout, /\nTool result received: 6 notes\.md\n$/);
  assert.match(
    r.stderr,
    /you › Hi! What can you do\?\nthought: A greeting\. Say what this demo shows, briefly\. \(8 words\)\ntokens 812 in, 46 out/,
  );
  assert.match(
    r.stderr,
    /you › How many lines does notes\.md have\?\n▸ bash wc -l notes\.md\n\? OpenCode asks permission for bash: wc -l notes\.md\n {2}allowed once \(the demo answers for you; in `pocketpaw chat` you choose\)\n {2}✓ bash: 6 notes\.md\ntokens 2580 in, 76 out/,
  );
  assert.ok(!/\u001b/.test(r.stdout + r.stderr), "plain output on a pipe");

  const [, port, pid] = /ready at http:\/\/127\.0\.0\.1:(\d+) \(pid (\d+),/.exec(r.stderr) ?? [];
  assert.ok(port && pid, r.stderr);
  assert.match(r.stderr, new RegExp(`Stopped the OpenCode server \\(pid ${pid}\\) and the model; nothing is left running\\.\\n$`));
  assert.equal(alive(Number(pid)), false, "the server process is gone");
  assert.equal(await accepts(Number(port)), false, "nothing listens on its port");
  // The demo keeps nothing of its own: no conversation store, no history in the pocketpaw home.
  assert.deepEqual(readdirSync(home), []);
});
