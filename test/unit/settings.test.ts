import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  type LoadSettingsOptions,
  loadSettings,
  parseModel,
  SETTINGS,
  type SettingName,
  type Settings,
  SettingsError,
} from "../../src/config/settings.js";
import { editDistance, nearest } from "../../src/config/typos.js";
import { httpUrl, listenHost, onOff, tcpPort, text, userList, wholeNumber } from "../../src/config/values.js";

// Every test gets its own PocketPaw folder and working directory, and passes both in:
// the real ~/.pocketpaw, .env and environment are never read.

const root = mkdtempSync(join(tmpdir(), "pocketpaw-settings-"));
after(() => rmSync(root, { recursive: true, force: true }));
let sandboxes = 0;

interface Sandbox {
  home: string;
  cwd: string;
  configFile: string;
  dotenvFile: string;
  /** What loadSettings() warned about (in this sandbox). */
  warnings: string[];
  /** loadSettings() with this sandbox's folders; `env` adds to POCKETPAW_HOME. */
  load(opts?: LoadSettingsOptions): ReturnType<typeof loadSettings>;
}

function sandbox(files: { dotenv?: string; config?: unknown; rawConfig?: string } = {}): Sandbox {
  const dir = join(root, String(sandboxes++));
  const home = join(dir, "home");
  const cwd = join(dir, "project");
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  const configFile = join(home, "config.json");
  const dotenvFile = join(cwd, ".env");
  if (files.dotenv !== undefined) writeFileSync(dotenvFile, files.dotenv);
  if (files.config !== undefined) writeFileSync(configFile, JSON.stringify(files.config));
  if (files.rawConfig !== undefined) writeFileSync(configFile, files.rawConfig);
  const warnings: string[] = [];
  return {
    home,
    cwd,
    configFile,
    dotenvFile,
    warnings,
    load: (opts = {}) => loadSettings({ warn: (line) => warnings.push(line), ...opts, cwd, env: { POCKETPAW_HOME: home, ...opts.env } }),
  };
}

/** Runs `fn`, expecting a SettingsError, and returns it. */
function settingsError(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SettingsError, `expected a SettingsError, got ${String(error)}`);
    assert.ok(!error.message.includes("\n"), `the message is one line: ${error.message}`);
    return error;
  }
  assert.fail("expected a SettingsError, but the settings loaded");
}

const DEFAULTS: Settings = {
  agentBackend: "opencode",
  opencodeBaseUrl: "http://localhost:4096",
  opencodeModel: "",
  opencodeMaxTurns: 0,
  opencodeUsername: "opencode",
  opencodePassword: "",
  opencodeDirectory: "",
  opencodeTimeoutMs: 30000,
  opencodeSpawn: false,
  dashboardHost: "127.0.0.1",
  dashboardPort: 8888,
  dashboardToken: "",
  telegramBotToken: "",
  telegramAllowedUsers: "",
  telegramApiRoot: "https://api.telegram.org",
  slackBotToken: "",
  slackAppToken: "",
  slackAllowedUsers: "",
  slackApiUrl: "https://slack.com/api/",
  discordBotToken: "",
  discordAllowedUsers: "",
  discordApiUrl: "https://discord.com/api",
  discordGatewayUrl: "",
};
const CHANNEL_DEFAULT_SOURCES = Object.fromEntries(
  SETTINGS.filter((s) => /^(telegram|slack|discord)/.test(s.name)).map((s) => [s.name, "default"]),
);

describe("SETTINGS table", () => {
  test("describes each setting once, with its env var, config key and flag", () => {
    assert.deepEqual(Object.fromEntries(SETTINGS.map((s) => [s.name, s.default])), DEFAULTS, "the defaults");
    for (const spec of SETTINGS) {
      const snake = spec.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      assert.equal(spec.configKey, snake);
      assert.equal(spec.env, `POCKETPAW_${snake.toUpperCase()}`);
      // The command line's short names: --url, --model, --max-turns, …
      assert.match(spec.flag, /^--[a-z]+(-[a-z]+)*$/);
      assert.ok(spec.description.length > 0 && spec.expected.length > 0);
    }
    assert.equal(new Set(SETTINGS.map((s) => s.flag)).size, SETTINGS.length, "flags are unique");
    assert.deepEqual(
      SETTINGS.filter((s) => s.secret).map((s) => s.name),
      ["opencodePassword", "dashboardToken", "telegramBotToken", "slackBotToken", "slackAppToken", "discordBotToken"],
    );
  });
});

describe("loadSettings: sources", () => {
  test("nothing set: every default, and the config file is under POCKETPAW_HOME", () => {
    const box = sandbox();
    const loaded = box.load();
    assert.deepEqual(loaded.values, DEFAULTS);
    assert.ok(Object.values(loaded.sources).every((s) => s === "default"));
    assert.equal(loaded.configFile, box.configFile);
  });

  // Four different valid values per setting, one per source: flag, env, .env, config file.
  const samples: Record<SettingName, [string | number, string, string, string | number]> = {
    agentBackend: ["flagged", "from-env", "from-dotenv", "from-config"],
    opencodeBaseUrl: ["http://flag:1", "http://env:2", "https://dotenv:3", "http://config:4"],
    opencodeModel: ["f/m1", "e/m2", "d/m3", "c/m4"],
    opencodeMaxTurns: [1, "2", "3", 4],
    opencodeUsername: ["u1", "u2", "u3", "u4"],
    opencodePassword: ["p1", "p2", "p3", "p4"],
    opencodeDirectory: ["/d1", "/d2", "/d3", "/d4"],
    opencodeTimeoutMs: ["1001", "1002", "1003", 1004],
    opencodeSpawn: ["1", "true", "yes", 1],
    dashboardHost: ["flag-host", "10.0.0.2", "::1", "config.example"],
    dashboardPort: ["8001", "8002", "8003", 8004],
    dashboardToken: ["flag-token-0123456789", "env-token-0123456789", "dotenv-token-012345", "config-token-012345"],
    telegramBotToken: ["1:flag", "2:env", "3:dotenv", "4:config"],
    telegramAllowedUsers: ["1,2", "*", "3", 4],
    telegramApiRoot: ["http://127.0.0.1:1", "http://env:2", "https://dotenv:3", "http://config:4"],
    slackBotToken: ["xoxb-1", "xoxb-2", "xoxb-3", "xoxb-4"],
    slackAppToken: ["xapp-1", "xapp-2", "xapp-3", "xapp-4"],
    slackAllowedUsers: ["U1,U2", "*", "W3", "U4"],
    slackApiUrl: ["http://flag:1/", "http://env:2/api/", "https://dotenv:3/", "http://config:4/"],
    discordBotToken: ["d1", "d2", "d3", "d4"],
    discordAllowedUsers: ["1", "2,3", "*", 4],
    discordApiUrl: ["http://flag:1", "http://env:2/api", "https://dotenv:3", "http://config:4"],
    discordGatewayUrl: ["ws://flag:1", "wss://env:2", "", "ws://config:4/gw"],
  };
  // Every sample of an on/off setting says "on" (spelled differently), so the value is `true`.
  const expected = (value: string | number, name: SettingName) =>
    typeof DEFAULTS[name] === "number" ? Number(value) : typeof DEFAULTS[name] === "boolean" ? true : String(value);

  for (const spec of SETTINGS) {
    test(`${spec.name}: flag > env > .env > config file > default`, () => {
      const [flag, envValue, dotenvValue, configValue] = samples[spec.name];
      const flags = { [spec.name]: flag };
      const env = { [spec.env]: envValue };
      const layers = {
        dotenv: `${spec.env}=${dotenvValue}\n`,
        config: { [spec.configKey]: configValue },
      };
      const cases = [
        { box: sandbox(layers), opts: { flags, env }, want: flag, source: "flag" },
        { box: sandbox(layers), opts: { env }, want: envValue, source: "env" },
        { box: sandbox(layers), opts: {}, want: dotenvValue, source: ".env" },
        { box: sandbox({ config: layers.config }), opts: {}, want: configValue, source: "config file" },
      ] as const;
      for (const { box, opts, want, source } of cases) {
        const loaded = box.load(opts);
        assert.equal(loaded.values[spec.name], expected(want, spec.name), source);
        assert.equal(loaded.sources[spec.name], source);
      }
    });
  }

  test("sources are chosen per setting", () => {
    const box = sandbox({
      dotenv: "POCKETPAW_OPENCODE_MODEL=d/m\n",
      config: { opencode_max_turns: 9, opencode_username: "cfg" },
    });
    const loaded = box.load({
      flags: { opencodeUsername: "flag-user", opencodeBaseUrl: undefined },
      env: { POCKETPAW_OPENCODE_BASE_URL: "http://env:1" },
    });
    assert.deepEqual(loaded.values, {
      ...DEFAULTS,
      opencodeModel: "d/m",
      opencodeMaxTurns: 9,
      opencodeUsername: "flag-user",
      opencodeBaseUrl: "http://env:1",
    });
    assert.deepEqual(loaded.sources, {
      agentBackend: "default",
      opencodeBaseUrl: "env",
      opencodeModel: ".env",
      opencodeMaxTurns: "config file",
      opencodeUsername: "flag",
      opencodePassword: "default",
      opencodeDirectory: "default",
      opencodeTimeoutMs: "default",
      opencodeSpawn: "default",
      dashboardHost: "default",
      dashboardPort: "default",
      dashboardToken: "default",
      ...CHANNEL_DEFAULT_SOURCES,
    });
  });

  test("an empty value is a value: it overrides lower sources", () => {
    const box = sandbox({ config: { opencode_model: "c/m" } });
    const loaded = box.load({ env: { POCKETPAW_OPENCODE_MODEL: "" } });
    assert.equal(loaded.values.opencodeModel, "");
    assert.equal(loaded.sources.opencodeModel, "env");
  });

  test("values are normalised: URL trailing slashes, whitespace around numbers and models", () => {
    const box = sandbox({ config: { opencode_base_url: "https://example.com/opencode//", opencode_max_turns: " 7 " } });
    const loaded = box.load({ env: { POCKETPAW_OPENCODE_MODEL: " anthropic/claude-sonnet-4 " } });
    assert.equal(loaded.values.opencodeBaseUrl, "https://example.com/opencode");
    assert.equal(loaded.values.opencodeMaxTurns, 7);
    assert.equal(loaded.values.opencodeModel, "anthropic/claude-sonnet-4");
  });

  test("config.json: numbers for text settings, unknown keys ignored, BOM tolerated", () => {
    const box = sandbox({
      rawConfig: `\uFEFF${JSON.stringify({ opencode_password: 1234, future_setting: { a: [1] }, opencode_timeout_ms: "5000" })}`,
    });
    const loaded = box.load();
    assert.equal(loaded.values.opencodePassword, "1234");
    assert.equal(loaded.values.opencodeTimeoutMs, 5000);
  });

  test(".env: quoted values, comments, and other keys ignored", () => {
    const box = sandbox({
      dotenv: '# a comment\nOTHER=1\nPOCKETPAW_OPENCODE_DIRECTORY="/srv/my project"\nexport POCKETPAW_OPENCODE_USERNAME=me\n',
    });
    const loaded = box.load();
    assert.equal(loaded.values.opencodeDirectory, "/srv/my project");
    assert.equal(loaded.values.opencodeUsername, "me");
  });

  test("POCKETPAW_HOME may come from .env, and a relative one is relative to cwd", () => {
    const box = sandbox({ dotenv: "POCKETPAW_HOME=paw-home\n" });
    mkdirSync(join(box.cwd, "paw-home"));
    writeFileSync(join(box.cwd, "paw-home", "config.json"), JSON.stringify({ opencode_max_turns: 3 }));
    // Not through box.load(): that sets POCKETPAW_HOME in the environment.
    const loaded = loadSettings({ cwd: box.cwd, env: {} });
    assert.equal(loaded.configFile, join(box.cwd, "paw-home", "config.json"));
    assert.equal(loaded.values.opencodeMaxTurns, 3);
  });
});

describe("loadSettings: bad values", () => {
  test("max turns -3 from the environment", () => {
    const error = settingsError(() => sandbox().load({ env: { POCKETPAW_OPENCODE_MAX_TURNS: "-3" } }));
    assert.equal(
      error.message,
      "POCKETPAW_OPENCODE_MAX_TURNS=-3 (from the environment) is not valid: expected a whole number ≥ 0 (0 = unlimited)",
    );
    assert.equal(error.setting, "opencodeMaxTurns");
    assert.equal(error.source, "env");
  });

  test('max turns "1.5" from .env, and 1.5 from config.json', () => {
    const box = sandbox({ dotenv: "POCKETPAW_OPENCODE_MAX_TURNS=1.5\n" });
    const error = settingsError(() => box.load());
    assert.equal(
      error.message,
      `POCKETPAW_OPENCODE_MAX_TURNS=1.5 (from ${box.dotenvFile}) is not valid: expected a whole number ≥ 0 (0 = unlimited)`,
    );
    assert.equal(error.source, ".env");

    const box2 = sandbox({ config: { opencode_max_turns: 1.5 } });
    const error2 = settingsError(() => box2.load());
    assert.match(error2.message, /^opencode_max_turns 1\.5 \(from .*config\.json\) is not valid: expected a whole number/);
    assert.ok(error2.message.includes(box2.configFile));
    assert.equal(error2.source, "config file");
  });

  test("other bad numbers: empty, words, exponents, a zero timeout, a boolean", () => {
    const box = sandbox();
    for (const bad of ["", "ten", "1e3", "0x10", " "]) {
      const error = settingsError(() => box.load({ env: { POCKETPAW_OPENCODE_MAX_TURNS: bad } }));
      assert.equal(error.setting, "opencodeMaxTurns", JSON.stringify(bad));
    }
    const zero = settingsError(() => box.load({ flags: { opencodeTimeoutMs: 0 } }));
    assert.equal(zero.message, "--timeout-ms=0 (from the command line) is not valid: expected a whole number of milliseconds > 0");
    assert.equal(zero.source, "flag");
    const boolean = settingsError(() => sandbox({ config: { opencode_timeout_ms: true } }).load());
    assert.match(boolean.message, /^opencode_timeout_ms true \(from /);
  });

  test("URLs that are not http(s), or carry credentials, a query or a fragment", () => {
    const box = sandbox();
    for (const bad of ["localhost:4096", "ftp://host", "not a url", "", "http://u:p@host", "http://h/?q=1", "http://h/#x"]) {
      const error = settingsError(() => box.load({ env: { POCKETPAW_OPENCODE_BASE_URL: bad } }));
      assert.equal(error.setting, "opencodeBaseUrl");
      assert.ok(error.message.startsWith("POCKETPAW_OPENCODE_BASE_URL="), error.message);
      assert.ok(error.message.includes("(from the environment) is not valid: expected an http:// or https:// URL"));
    }
    const error = settingsError(() => box.load({ env: { POCKETPAW_OPENCODE_BASE_URL: "not a url" } }));
    assert.ok(error.message.startsWith('POCKETPAW_OPENCODE_BASE_URL="not a url" (from the environment)'), error.message);
  });

  test("a refused URL is repeated without its password or secret query values, from every source", () => {
    const box = sandbox({ dotenv: "POCKETPAW_OPENCODE_BASE_URL=http://me:dotenv-secret@host:4096\n" });
    const env = (url: string): LoadSettingsOptions => ({ env: { POCKETPAW_OPENCODE_BASE_URL: url } });
    const cases: Array<[LoadSettingsOptions, string]> = [
      [env("http://user:env-secret@host"), "POCKETPAW_OPENCODE_BASE_URL=http://user:***@host"],
      [env("http://h/?password=env-secret&x=1"), "POCKETPAW_OPENCODE_BASE_URL=http://h/?password=***&x=1"],
      [env("https://tok-secret@h/?api_key=k-secret#access_token=t-secret"), "https://***@h/?api_key=***#access_token=***"],
      [env("http://u:p@ss-secret@h"), "http://u:***@h"],
      [{ flags: { opencodeBaseUrl: "http://u:flag-secret@h" } }, "--url=http://u:***@h"],
      [{}, "POCKETPAW_OPENCODE_BASE_URL=http://me:***@host:4096"],
    ];
    for (const [options, shown] of cases) {
      const error = settingsError(() => box.load(options));
      assert.ok(error.message.includes(shown), error.message);
      assert.doesNotMatch(error.message, /secret/, "the secret is not repeated");
    }
    const config = sandbox({ config: { opencode_base_url: "http://u:config-secret@h" } });
    assert.match(settingsError(() => config.load()).message, /^opencode_base_url "http:\/\/u:\*\*\*@h" \(from /);
  });

  test('model "gpt4" from config.json', () => {
    const box = sandbox({ config: { opencode_model: "gpt4" } });
    const error = settingsError(() => box.load());
    assert.equal(
      error.message,
      `opencode_model "gpt4" (from ${box.configFile}) is not valid: expected provider/model, e.g. anthropic/claude-sonnet-4`,
    );
    assert.equal(error.setting, "opencodeModel");
    assert.equal(error.source, "config file");
  });

  test('models "/x" and "x/" from a flag', () => {
    for (const bad of ["/x", "x/", "/"]) {
      const error = settingsError(() => sandbox().load({ flags: { opencodeModel: bad } }));
      assert.equal(
        error.message,
        `--model=${bad} (from the command line) is not valid: expected provider/model, e.g. anthropic/claude-sonnet-4`,
      );
      assert.equal(error.source, "flag");
    }
  });

  test("an empty backend name", () => {
    const error = settingsError(() => sandbox().load({ env: { POCKETPAW_AGENT_BACKEND: " " } }));
    assert.equal(error.setting, "agentBackend");
    assert.match(error.message, /^POCKETPAW_AGENT_BACKEND=" " \(from the environment\) is not valid: expected a backend name/);
  });

  test("the highest source is the one checked and named", () => {
    const box = sandbox({ config: { opencode_max_turns: "bad" } });
    assert.equal(box.load({ env: { POCKETPAW_OPENCODE_MAX_TURNS: "2" } }).values.opencodeMaxTurns, 2);
    const error = settingsError(() => sandbox({ dotenv: "POCKETPAW_OPENCODE_MAX_TURNS=2\n" }).load({ flags: { opencodeMaxTurns: "x" } }));
    assert.equal(error.source, "flag");
  });

  test("a secret's value is never printed", () => {
    const secret = "hunter2-s3cret";
    const box = sandbox({ config: { opencode_password: { value: secret } } });
    const error = settingsError(() => box.load());
    assert.equal(error.message, `opencode_password *** (from ${box.configFile}) is not valid: expected text`);
    assert.equal(error.setting, "opencodePassword");
    assert.ok(!JSON.stringify(error).includes(secret), "nor kept on the error");
    assert.ok(!String(error.stack).includes(secret));
  });
});

describe("loadSettings: warnings", () => {
  test("a config.json holding a secret that other users can read: the chmod to run, said once", () => {
    const box = sandbox({ config: { opencode_password: "pw", dashboard_token: "a-token-of-sixteen-chars" } });
    chmodSync(box.configFile, 0o644);
    box.load();
    box.load();
    const exposed = "holds opencode_password and dashboard_token and other users can read it (mode 644)";
    assert.deepEqual(box.warnings, [`Warning: ${box.configFile} ${exposed}; run: chmod 600 ${box.configFile}`]);

    const group = sandbox({ config: { dashboard_token: "a-token-of-sixteen-chars" } });
    chmodSync(group.configFile, 0o640);
    group.load();
    assert.match(group.warnings[0] ?? "", /holds dashboard_token and other users can read it \(mode 640\); run: chmod 600 /);
  });

  test("no warning for a private config.json, or one without secrets", () => {
    const cases: Array<[unknown, number]> = [
      [{ opencode_password: "pw" }, 0o600],
      [{ opencode_base_url: "http://localhost:4096" }, 0o644],
      [{ opencode_password: "" }, 0o644],
    ];
    for (const [config, mode] of cases) {
      const box = sandbox({ config });
      chmodSync(box.configFile, mode);
      box.load();
      assert.deepEqual(box.warnings, [], JSON.stringify(config));
    }
  });
});

describe("loadSettings: typos are warned about, naming the file, the line and the nearest setting", () => {
  test("config.json: a misspelt key; keys of PocketPaw's other parts are left alone", () => {
    const rawConfig =
      '{\n  "opencode_base_url": "http://localhost:4096",\n  "opencode_pasword": "s3cret-value",\n' +
      '  "dashbord_port": 9000,\n  "whatsapp_mode": "x",\n  "future_setting": 1\n}\n';
    const box = sandbox({ rawConfig });
    chmodSync(box.configFile, 0o600);
    const loaded = box.load();
    assert.equal(loaded.values.opencodePassword, "", "the misspelt one is not read");
    const ignored = "is not a pocketpaw setting, so it is ignored; did you mean";
    assert.deepEqual(box.warnings, [
      `Warning: ${box.configFile} line 3: "opencode_pasword" ${ignored} "opencode_password"?`,
      `Warning: ${box.configFile} line 4: "dashbord_port" ${ignored} "dashboard_port"?`,
    ]);
  });

  test(".env: a misspelt POCKETPAW_ name; other names are left alone; values are never shown", () => {
    const box = sandbox({ dotenv: "OTHER=1\nPOCKETPAW_TELEGRAM_TOKEN=x\nPOCKETPAW_OPENCODE_PASWORD=s3cret-value\n" });
    box.load();
    const ignored = "is not a pocketpaw setting, so it is ignored; did you mean";
    assert.deepEqual(box.warnings, [
      `Warning: ${box.dotenvFile} line 3: POCKETPAW_OPENCODE_PASWORD ${ignored} POCKETPAW_OPENCODE_PASSWORD?`,
    ]);
  });

  test(".env: a line without = is skipped, and no longer takes the next setting with it", () => {
    const box = sandbox({ dotenv: "POCKETPAW_OPENCODE_PASSWORD s3cret-value\nPOCKETPAW_OPENCODE_MAX_TURNS=3\n" });
    assert.equal(box.load().values.opencodeMaxTurns, 3);
    assert.deepEqual(box.warnings, [
      `Warning: ${box.dotenvFile} line 1: POCKETPAW_OPENCODE_PASSWORD has no "=", so it is not a setting and is ignored; write NAME=value.`,
    ]);
  });

  test(".env: a quote not closed on its line swallows the next settings; one never closed stays in the value", () => {
    const box = sandbox({
      dotenv: 'POCKETPAW_OPENCODE_DIRECTORY="/srv/my project\nPOCKETPAW_OPENCODE_MAX_TURNS=3\nPOCKETPAW_OPENCODE_USERNAME="me"\n',
    });
    const loaded = box.load();
    assert.equal(loaded.values.opencodeMaxTurns, 0, "swallowed: what the warning explains");
    assert.deepEqual(box.warnings, [
      `Warning: ${box.dotenvFile} line 1: the value of POCKETPAW_OPENCODE_DIRECTORY opens a " that is not closed on that line, ` +
        "so it runs on to line 3, swallowing POCKETPAW_OPENCODE_MAX_TURNS, POCKETPAW_OPENCODE_USERNAME; close it on line 1.",
    ]);

    const never = sandbox({ dotenv: "POCKETPAW_OPENCODE_USERNAME='me\nPOCKETPAW_OPENCODE_MAX_TURNS=3\n" });
    assert.equal(never.load().values.opencodeMaxTurns, 3);
    assert.deepEqual(never.warnings, [
      `Warning: ${never.dotenvFile} line 1: the value of POCKETPAW_OPENCODE_USERNAME opens a ' that is never closed, ` +
        "so the ' is part of the value; close it on line 1.",
    ]);
  });

  test("a well-formed .env and config.json: no warning", () => {
    const box = sandbox({
      dotenv:
        '# comment\n\nexport POCKETPAW_OPENCODE_MODEL="a/b" # why\nPOCKETPAW_DISCORD_BOT_TOKEN=1\n' +
        "POCKETPAW_OPENCODE_DIRECTORY='/srv/x'\n",
      config: { opencode_max_turns: 2, dashboard_port: 9000 },
    });
    box.load();
    assert.deepEqual(box.warnings, []);
  });

  test("edit distance and the nearest name", () => {
    assert.equal(editDistance("opencode_pasword", "opencode_password"), 1);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(nearest("DASHBORD_TOKEN", ["dashboard_token", "dashboard_port"]), "dashboard_token");
  });
});

describe("loadSettings: broken config.json", () => {
  const broken = [
    { content: "{ not json", problem: /is not valid JSON: .+/ },
    { content: '{"opencode_max_turns": 3,}', problem: /is not valid JSON: .+ at line 1, column \d+$/ },
    { content: "", problem: /is not valid JSON: unexpected end of the file$/ },
    { content: "[1, 2]", problem: /is not valid: expected a JSON object/ },
    { content: "null", problem: /is not valid: expected a JSON object/ },
    { content: '"opencode"', problem: /is not valid: expected a JSON object/ },
  ];
  for (const { content, problem } of broken) {
    test(`${JSON.stringify(content)}: names the file and the problem`, () => {
      const box = sandbox({ rawConfig: content });
      const error = settingsError(() => box.load());
      assert.ok(error.message.startsWith(`${box.configFile} is not valid`), error.message);
      assert.match(error.message, problem);
      assert.equal(error.setting, undefined);
      assert.equal(error.source, "config file");
    });
  }

  test("the JSON problem does not quote the file (it may hold a password)", () => {
    for (const content of ['{"opencode_password": hunter2}', '{"opencode_password": "hunter2" x}', "hunter2"]) {
      const error = settingsError(() => sandbox({ rawConfig: content }).load());
      assert.ok(!error.message.includes("hunter2"), error.message);
    }
  });

  test("the position is given as line and column", () => {
    const box = sandbox({ rawConfig: '{\n  "opencode_model": "a/b"\n  "opencode_max_turns": 3\n}' });
    assert.match(settingsError(() => box.load()).message, /at line 3, column 3$/);
  });

  test("a config.json that cannot be read (a folder) is an error too", () => {
    const box = sandbox();
    mkdirSync(box.configFile);
    const error = settingsError(() => box.load());
    assert.ok(error.message.startsWith(`cannot read ${box.configFile}`), error.message);
  });
});

describe("parseModel", () => {
  test("splits at the first slash", () => {
    assert.deepEqual(parseModel("anthropic/claude-sonnet-4"), { providerID: "anthropic", modelID: "claude-sonnet-4" });
    assert.deepEqual(parseModel("a/b/c"), { providerID: "a", modelID: "b/c" });
  });

  test("anything else is undefined", () => {
    for (const bad of ["", "gpt4", "/x", "x/", "/"]) assert.equal(parseModel(bad), undefined, bad);
  });

  test("the loaded model string parses", () => {
    const { values } = sandbox().load({ flags: { opencodeModel: "openrouter/meta/llama" } });
    assert.deepEqual(parseModel(values.opencodeModel), { providerID: "openrouter", modelID: "meta/llama" });
  });
});

describe("value parsers: what each source may give, and what is refused (undefined)", () => {
  const cases: Array<[string, (value: unknown) => unknown, unknown, unknown]> = [
    ["text from a number", text, 12, "12"],
    ["text from a boolean", text, true, undefined],
    ["text from an object", text, { a: 1 }, undefined],
    ["whole number with spaces", wholeNumber(0), " 42 ", 42],
    ["whole number from JSON", wholeNumber(0), 7, 7],
    ["whole number, a float from JSON", wholeNumber(0), 1.5, undefined],
    ["whole number, an exponent", wholeNumber(0), "1e3", undefined],
    ["whole number, below its minimum", wholeNumber(1), "0", undefined],
    ["whole number, past the safe integers", wholeNumber(0), "9007199254740993", undefined],
    ["whole number, NaN", wholeNumber(0), Number.NaN, undefined],
    ["port 65535", tcpPort, "65535", 65535],
    ["port 65536", tcpPort, 65536, undefined],
    ["on from YES", onOff, " YES ", true],
    ["off from 0 in JSON", onOff, 0, false],
    ["on/off from a JSON boolean", onOff, false, false],
    ["on/off from maybe", onOff, "maybe", undefined],
    ["URL without its trailing slashes", httpUrl, " http://h:1/x// ", "http://h:1/x"],
    ["URL with credentials", httpUrl, "http://u:p@h", undefined],
    ["ftp URL", httpUrl, "ftp://h", undefined],
    ["IPv6 host in brackets", listenHost, "[::1]", "::1"],
    ["host with a path", listenHost, "h/x", undefined],
    ["ids, spaced", userList(/^\d+$/), " 1 , 2 ", "1,2"],
    ["ids as a JSON array", userList(/^\d+$/), [1, "2"], "1,2"],
    ["ids, everyone", userList(/^\d+$/), "*", "*"],
    ["ids, nobody", userList(/^\d+$/), [], ""],
    ["ids, one bad", userList(/^\d+$/), "1,x", undefined],
    ["ids, a nested array", userList(/^\d+$/), [[1]], undefined],
  ];
  for (const [what, parse, input, expected] of cases) {
    test(what, () => assert.deepEqual(parse(input), expected));
  }
});

// Type-level checks: the Settings type follows the table.
const typed = (s: Settings): [string, number, string] => [s.opencodeBaseUrl, s.opencodeMaxTurns, s.opencodePassword];
void typed;
