import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SqliteSessionStore } from "../../src/sessions/sqlite-store.js";
import { type CliResult, runCli } from "../support/cli.js";

/**
 * The CLI's own commands against a hostile server (no OpenCode needed): a version, an error
 * message and a stored title full of terminal escapes. Whatever is printed shows them, never
 * obeys them. (The event renderer's share is unit-tested in test/unit/safe-text.test.ts.)
 */
const EVIL = "\u001b]0;pwned\u0007\u001b[2J\u009b31m\rX";
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const server = createServer((req, res) => {
  const health = req.url === "/global/health";
  res.writeHead(health ? 200 : 500, { "content-type": "application/json" });
  const body = health ? { healthy: true, version: `1.18.33${EVIL}` } : { name: "UnknownError", data: { message: `boom${EVIL}` } };
  res.end(JSON.stringify(body));
});
let env: Record<string, string>;
let home: string;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  home = mkdtempSync(join(tmpdir(), "pocketpaw-hostile-"));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = { POCKETPAW_HOME: home, POCKETPAW_OPENCODE_BASE_URL: url, FORCE_COLOR: "1" };
  const store = new SqliteSessionStore(join(home, "pocketpaw.db"));
  const times = { createdAt: 0, lastUsedAt: 0, lastMessageId: "" };
  store.put({
    key: "cli:evil",
    serverUrl: url,
    directory: "",
    sessionId: "ses_evil",
    title: `title${EVIL}`,
    model: "",
    agent: "",
    ...times,
  });
  store.close();
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(home, { recursive: true, force: true });
});

/** The output with our own colours (SGR) taken out: what is left holds no control character but \n. */
function assertSafe(r: CliResult, visible: string): void {
  const text = `${r.stdout}${r.stderr}`.replace(/\u001b\[[0-9;]*m/g, "");
  assert.doesNotMatch(text, RAW_CONTROL, JSON.stringify(text));
  assert.ok(text.includes(visible), `${visible} in ${JSON.stringify(text)}`);
}

describe("untrusted text in the CLI's commands", () => {
  test("health: the server's version", async () => {
    assertSafe(await runCli(["health"], env), "1.18.33␛]0;pwned␇␛[2J␛[31m␍X");
  });

  test("sessions: the stored title", async () => {
    assertSafe(await runCli(["sessions"], env), "title␛]0;pwned␇");
  });

  test("sessions show: the server's error message", async () => {
    const r = await runCli(["sessions", "show", "cli:evil"], env);
    assert.notEqual(r.code, 0);
    assertSafe(r, "boom␛]0;pwned␇");
  });

  test("sessions forget: the title", async () => {
    const r = await runCli(["sessions", "forget", "cli:evil"], env);
    assert.equal(r.code, 0, r.stderr);
    assertSafe(r, "title␛]0;pwned␇");
  });
});
