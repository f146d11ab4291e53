import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { serverEnv } from "../../src/opencode/local-server/managed-server.js";

/**
 * A server pocketpaw starts (`--spawn`, `demo`, the tests) runs the agent's shell commands, and
 * `env` there shows the server's environment: it must not hold pocketpaw's own secrets.
 */
const PARENT = {
  POCKETPAW_DASHBOARD_TOKEN: "dashboard-secret-0123456789",
  POCKETPAW_OPENCODE_PASSWORD: "opencode-secret",
  POCKETPAW_TELEGRAM_BOT_TOKEN: "telegram-secret",
  OPENCODE_SERVER_PASSWORD: "parent-server-password",
  ANTHROPIC_API_KEY: "the-user's-own-key",
};
const saved: Record<string, string | undefined> = {};

before(() => {
  for (const [key, value] of Object.entries(PARENT)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
});

after(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("the environment of a server pocketpaw starts", () => {
  test("--spawn: the user's own environment and keys, none of pocketpaw's settings; the password it needs", () => {
    const env = serverEnv(undefined, { password: "given-password", username: "me" });
    assert.deepEqual(
      Object.keys(env).filter((key) => key.startsWith("POCKETPAW_")),
      [],
    );
    assert.ok(!Object.values(env).some((value) => value?.includes("dashboard-secret") || value?.includes("telegram-secret")));
    assert.equal(env.ANTHROPIC_API_KEY, "the-user's-own-key");
    assert.equal(env.PATH, process.env.PATH);
    assert.equal(env.OPENCODE_SERVER_PASSWORD, "given-password");
    assert.equal(env.OPENCODE_SERVER_USERNAME, "me");
  });

  test("isolated (demo, tests): no OPENCODE_* from the parent either, and its own HOME", () => {
    const env = serverEnv("/tmp/pocketpaw-root", {});
    assert.deepEqual(
      Object.keys(env).filter((key) => key.startsWith("POCKETPAW_")),
      [],
    );
    assert.equal(env.OPENCODE_SERVER_PASSWORD, undefined);
    assert.equal(env.HOME, "/tmp/pocketpaw-root/home");
  });
});
