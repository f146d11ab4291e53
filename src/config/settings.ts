/**
 * PocketPaw's settings: one table, one validation path for every source.
 *
 * Sources, highest first: command-line flags, the environment (`POCKETPAW_*`), a `.env` file in
 * the working directory, `config.json` in the PocketPaw folder (`$POCKETPAW_HOME`, else
 * `~/.pocketpaw`), then the defaults. A value that is present but empty counts as given (e.g.
 * `POCKETPAW_OPENCODE_MODEL=` chooses the server's default model over a config file's choice).
 */
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CHANNEL_SETTINGS } from "./channel-settings.js";
import { readConfigFile, readDotenv, warnIfExposed } from "./files.js";
import { type SettingSource, SettingsError } from "./settings-error.js";
import { httpUrl, listenHost, matching, onOff, type Parsed, refine, setting, tcpPort, text, trimmedText, wholeNumber } from "./values.js";

export { type SettingSource, SettingsError } from "./settings-error.js";

/** A model chosen as `provider/model`. */
export interface ModelRef {
  providerID: string;
  modelID: string;
}

/**
 * Splits `provider/model` at the first `/` (model IDs may contain more: `openrouter/a/b`).
 * Returns undefined for anything else, including "" (which means the server's default model).
 */
export function parseModel(text: string): ModelRef | undefined {
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1) return undefined;
  return { providerID: text.slice(0, slash), modelID: text.slice(slash + 1) };
}

// ---------------------------------------------------------------------------------------------
// The table: the one place each setting is described. The `config` command and `--help` are
// generated from it. Value parsers and the spec's shape live in values.ts; the chat channels'
// settings in channel-settings.ts.

const modelChoice = refine(trimmedText, (value) => value === "" || parseModel(value) !== undefined);

export const SETTINGS = [
  setting({
    name: "agentBackend",
    flag: "--backend",
    env: "POCKETPAW_AGENT_BACKEND",
    configKey: "agent_backend",
    default: "opencode",
    description: "Agent backend that runs the prompts.",
    expected: "a backend name, e.g. opencode",
    secret: false,
    parse: matching(trimmedText, /./),
  }),
  setting({
    name: "opencodeBaseUrl",
    flag: "--url",
    env: "POCKETPAW_OPENCODE_BASE_URL",
    configKey: "opencode_base_url",
    default: "http://localhost:4096",
    description: "URL of the OpenCode server (`opencode serve`).",
    expected: "an http:// or https:// URL without query, fragment or user:password@, e.g. http://localhost:4096",
    secret: false,
    parse: httpUrl,
  }),
  setting({
    name: "opencodeModel",
    flag: "--model",
    env: "POCKETPAW_OPENCODE_MODEL",
    configKey: "opencode_model",
    default: "",
    description: "Model as provider/model, e.g. anthropic/claude-sonnet-4; empty for the server's default.",
    expected: "provider/model, e.g. anthropic/claude-sonnet-4",
    secret: false,
    parse: modelChoice,
  }),
  setting({
    name: "opencodeMaxTurns",
    flag: "--max-turns",
    env: "POCKETPAW_OPENCODE_MAX_TURNS",
    configKey: "opencode_max_turns",
    default: 0,
    description: "Most model turns (steps) per prompt; 0 for no limit.",
    expected: "a whole number ≥ 0 (0 = unlimited)",
    secret: false,
    parse: wholeNumber(0),
  }),
  setting({
    name: "opencodeUsername",
    flag: "--username",
    env: "POCKETPAW_OPENCODE_USERNAME",
    configKey: "opencode_username",
    default: "opencode",
    description: "Username for the OpenCode server's basic auth.",
    expected: "text",
    secret: false,
    parse: text,
  }),
  setting({
    name: "opencodePassword",
    flag: "--password",
    env: "POCKETPAW_OPENCODE_PASSWORD",
    configKey: "opencode_password",
    default: "",
    description: "Password for the OpenCode server's basic auth; empty when the server has none.",
    expected: "text",
    secret: true,
    parse: text,
  }),
  setting({
    name: "opencodeDirectory",
    flag: "--directory",
    env: "POCKETPAW_OPENCODE_DIRECTORY",
    configKey: "opencode_directory",
    default: "",
    description: "Project directory on the OpenCode server; empty for the server's own.",
    expected: "text",
    secret: false,
    parse: text,
  }),
  setting({
    name: "opencodeTimeoutMs",
    flag: "--timeout-ms",
    env: "POCKETPAW_OPENCODE_TIMEOUT_MS",
    configKey: "opencode_timeout_ms",
    default: 30000,
    description: "Timeout of each REST request to the OpenCode server, in milliseconds.",
    expected: "a whole number of milliseconds > 0",
    secret: false,
    parse: wholeNumber(1),
  }),
  setting({
    name: "opencodeSpawn",
    flag: "--spawn",
    env: "POCKETPAW_OPENCODE_SPAWN",
    configKey: "opencode_spawn",
    default: false,
    description:
      "When the base URL is on this machine and nothing answers, start `opencode serve` there (your own OpenCode config and keys) and stop it on exit.",
    expected: "1 or 0 (also true/false, yes/no, on/off)",
    secret: false,
    parse: onOff,
  }),
  setting({
    name: "dashboardHost",
    flag: "--host",
    env: "POCKETPAW_DASHBOARD_HOST",
    configKey: "dashboard_host",
    default: "127.0.0.1",
    description: "Address `pocketpaw serve` listens on; anything but loopback needs POCKETPAW_DASHBOARD_TOKEN.",
    expected: "a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0",
    secret: false,
    parse: listenHost,
  }),
  setting({
    name: "dashboardPort",
    flag: "--port",
    env: "POCKETPAW_DASHBOARD_PORT",
    configKey: "dashboard_port",
    default: 8888,
    description: "TCP port of `pocketpaw serve` (the web dashboard and HTTP API).",
    expected: "a port number from 1 to 65535",
    secret: false,
    parse: tcpPort,
  }),
  setting({
    name: "dashboardToken",
    flag: "--dashboard-token",
    env: "POCKETPAW_DASHBOARD_TOKEN",
    configKey: "dashboard_token",
    default: "",
    description: "Access token of the dashboard and HTTP API; required when listening beyond loopback.",
    expected: "text of at least 16 characters, or empty for none",
    secret: true,
    parse: refine(trimmedText, (t) => t === "" || t.length >= 16),
  }),
  ...CHANNEL_SETTINGS,
] as const;

type AnySetting = (typeof SETTINGS)[number];
export type SettingName = AnySetting["name"];
export type Settings = { [S in AnySetting as S["name"]]: Parsed<S["parse"]> };

export interface LoadedSettings {
  values: Settings;
  sources: Record<SettingName, SettingSource>;
  /** Where config.json is looked for (it need not exist). */
  configFile: string;
}

// ---------------------------------------------------------------------------------------------
// Loading

export interface LoadSettingsOptions {
  /** Values from the command line, by setting name; undefined = not given. */
  flags?: Partial<Record<SettingName, string | number | undefined>>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where warnings go, one line each (default: stderr). Each is given once per process. */
  warn?: (line: string) => void;
}

/** A value found in one source, with what is needed to name it in an error. */
interface Found {
  source: SettingSource;
  value: unknown;
  /** How the value is shown, e.g. `POCKETPAW_X=1` or `opencode_x 1`. */
  shown: string;
  /** e.g. `the environment`, or a file's path. */
  origin: string;
}

export function loadSettings(opts: LoadSettingsOptions = {}): LoadedSettings {
  const flags = opts.flags ?? {};
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();

  const warn = onceEach(opts.warn ?? ((line) => process.stderr.write(`${line}\n`)));
  const dotenvFile = join(cwd, ".env");
  const dotenv = readDotenv(dotenvFile, ["POCKETPAW_HOME", ...SETTINGS.map((spec) => spec.env)], warn);
  // POCKETPAW_HOME may come from .env too: it is a POCKETPAW_ setting like the others. Unlike
  // the settings, an empty one counts as unset: an empty folder name means nothing useful.
  const home = env.POCKETPAW_HOME || dotenv.POCKETPAW_HOME;
  const configFile = home ? resolve(cwd, home, "config.json") : join(homedir(), ".pocketpaw", "config.json");
  const config = readConfigFile(
    configFile,
    SETTINGS.map((spec) => spec.configKey),
    warn,
  );
  const secretsGiven = SETTINGS.filter((spec) => spec.secret && config[spec.configKey] !== undefined && config[spec.configKey] !== "");
  warnIfExposed(
    configFile,
    secretsGiven.map((spec) => spec.configKey),
    warn,
  );

  const values: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  for (const spec of SETTINGS) {
    const secretOr = (shown: string) => (spec.secret ? "***" : maskUrlSecrets(shown));
    const envShown = (value: string) => `${spec.env}=${secretOr(quoteIfNeeded(value))}`;
    const candidates: (Found | undefined)[] = [
      given(flags[spec.name], (v) => ({
        source: "flag",
        value: v,
        shown: `${spec.flag}=${secretOr(quoteIfNeeded(String(v)))}`,
        origin: "the command line",
      })),
      given(env[spec.env], (v) => ({ source: "env", value: v, shown: envShown(v), origin: "the environment" })),
      given(dotenv[spec.env], (v) => ({ source: ".env", value: v, shown: envShown(v), origin: dotenvFile })),
      given(Object.hasOwn(config, spec.configKey) ? config[spec.configKey] : undefined, (v) => ({
        source: "config file",
        value: v,
        shown: `${spec.configKey} ${secretOr(JSON.stringify(v))}`,
        origin: configFile,
      })),
    ];
    const found = candidates.find((candidate) => candidate !== undefined);
    if (found === undefined) {
      values[spec.name] = spec.default;
      sources[spec.name] = "default";
      continue;
    }
    const parsed = spec.parse(found.value);
    if (parsed === undefined) {
      throw new SettingsError(`${found.shown} (from ${found.origin}) is not valid: expected ${spec.expected}`, spec.name, found.source);
    }
    values[spec.name] = parsed;
    sources[spec.name] = found.source;
  }
  // Every name in SETTINGS has been filled in just above.
  return { values: values as Settings, sources: sources as Record<SettingName, SettingSource>, configFile };
}

/**
 * Text with what looks like a secret inside a URL masked: the userinfo's password (or a lone
 * userinfo, often a token), and the values of query or fragment parameters named like secrets.
 * A refused URL is repeated in the error, and `http://user:secret@host` is refused. Done on the
 * text, not through `URL`: what cannot be parsed is masked too, and the rest is shown as given.
 */
export function maskUrlSecrets(text: string): string {
  return text
    .replace(/\/\/([^/?#"\n]*)@/g, (_, userinfo: string) => {
      const colon = userinfo.indexOf(":");
      return `//${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : "***"}@`;
    })
    .replace(/([?&#;][^=&#\s]*(?:pass|pwd|secret|token|key|auth|sig|cred|session)[^=&#\s]*=)[^&#\s"]*/gi, "$1***");
}

/** Lines already warned about: a command may load the settings more than once. */
const warned = new Set<string>();

function onceEach(warn: (line: string) => void): (line: string) => void {
  return (line) => {
    if (warned.has(line)) return;
    warned.add(line);
    warn(line);
  };
}

function given<T>(value: T | undefined, found: (value: T) => Found): Found | undefined {
  return value === undefined ? undefined : found(value);
}

/** Shows a value bare when that is unambiguous, else as a JSON string. */
function quoteIfNeeded(value: string): string {
  return /^[\x21-\x7e]+$/.test(value) && !value.includes('"') ? value : JSON.stringify(value);
}

/** The folder of pocketpaw's own files: config.json, the conversation store, the chat's history. */
export function homeOf(settings: LoadedSettings): string {
  return dirname(settings.configFile);
}
