import { isAbsolute, join } from "node:path";
import { type LoadedSettings, SettingsError, loadSettings, parseModel } from "../config/settings.js";
import { OpenCodeBackend } from "../opencode/backend.js";
import { OpenCodeClient } from "../opencode/client.js";
import { ApiError, AuthError, NotOpenCodeError, OpenCodeError, TimeoutError, UnreachableError, UnsupportedVersionError } from "../opencode/errors.js";
import { readSseData } from "../opencode/sse.js";
import { SqliteSessionStore, StoreError } from "../sessions/sqlite-store.js";
import { type CommonFlags, homeOf, settingFlags } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { colorsFor } from "./colors.js";
import { isThisMachine } from "./spawn.js";
import { safeText } from "./safe-text.js";

type Status = "ok" | "warn" | "fail" | "skip";

export interface Check {
  name: string;
  status: Status;
  detail: string;
  /** What to do about a failure or warning. */
  fix?: string;
  /** The exit code a failure of this check stands for. */
  exitCode?: number;
}

const EVENT_STREAM_WAIT_MS = 5_000;

/**
 * `pocketpaw doctor`: checks, in order, everything between this terminal and a working turn, and
 * says what to do about each failure. Checks that need an earlier one to pass are skipped.
 */
export async function doctor(flags: CommonFlags & { json?: boolean }): Promise<number> {
  const checks = await runChecks(flags);
  const failed = checks.find((c) => c.status === "fail");
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ok: !failed, checks: checks.map(({ exitCode: _, ...c }) => c) })}\n`);
  } else {
    const c = colorsFor();
    const mark: Record<Status, string> = { ok: c.green("✓"), warn: c.yellow("!"), fail: c.red("✗"), skip: c.dim("-") };
    const width = Math.max(...checks.map((k) => k.name.length));
    for (const k of checks) {
      // Details quote the server (versions, model names, its error messages).
      const detail = k.status === "skip" ? c.dim(k.detail) : safeText(k.detail);
      process.stdout.write(`${mark[k.status]} ${c.bold(k.name.padEnd(width))}  ${detail}\n`);
      if (k.fix && (k.status === "fail" || k.status === "warn")) {
        process.stdout.write(`  ${" ".repeat(width)}  ${c.cyan("→")} ${safeText(k.fix)}\n`);
      }
    }
    const warnings = checks.filter((k) => k.status === "warn").length;
    process.stdout.write(
      failed ? c.red(`\nNot ready: fix "${failed.name}" first.\n`) : c.green(`\nReady${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}.\n`),
    );
  }
  return failed ? (failed.exitCode ?? EXIT.failed) : EXIT.ok;
}

export async function runChecks(flags: CommonFlags): Promise<Check[]> {
  const checks: Check[] = [];
  const skipRest = (names: string[], why: string) => {
    for (const name of names) checks.push({ name, status: "skip", detail: `skipped: ${why}` });
  };
  const serverChecks = ["server answers", "OpenCode", "credentials", "model", "directory", "event stream"];

  // 1. Settings, the URL among them.
  let settings: LoadedSettings;
  try {
    settings = loadSettings({ flags: settingFlags(flags) });
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    const name = error.setting === "opencodeBaseUrl" ? "URL" : "settings";
    checks.push({ name, status: "fail", detail: error.message, fix: "Correct it where it came from; `pocketpaw config` shows every setting and its source once they are valid.", exitCode: EXIT.usage });
    skipRest(name === "URL" ? serverChecks : ["URL", ...serverChecks], "the settings must be valid first");
    return checks;
  }
  const { values, sources } = settings;
  const given = Object.values(sources).filter((s) => s !== "default").length;
  checks.push({ name: "settings", status: "ok", detail: `valid (${given} set, the rest defaults; config file ${settings.configFile})` });

  const url = new URL(values.opencodeBaseUrl);
  const local = isThisMachine(url.hostname);
  if (url.protocol === "http:" && !local && values.opencodePassword) {
    checks.push({
      name: "URL",
      status: "warn",
      detail: `${values.opencodeBaseUrl} (from ${sources.opencodeBaseUrl}): plain http to another machine`,
      fix: "The password travels readable on the network: put the server behind https (a reverse proxy) or reach it through an SSH tunnel.",
    });
  } else {
    checks.push({ name: "URL", status: "ok", detail: `${values.opencodeBaseUrl} (from ${sources.opencodeBaseUrl})` });
  }

  await checkServer(settings, checks, skipRest, serverChecks);
  checks.push(checkStore(settings));
  return checks;
}

/** The server answers, is OpenCode (which version), takes the credentials, has the model and the directory, streams events. */
async function checkServer(
  settings: LoadedSettings,
  checks: Check[],
  skipRest: (names: string[], why: string) => void,
  serverChecks: string[],
): Promise<void> {
  const { values, sources } = settings;
  const url = new URL(values.opencodeBaseUrl);
  const local = isThisMachine(url.hostname);
  const options = {
    baseUrl: values.opencodeBaseUrl,
    username: values.opencodeUsername,
    password: values.opencodePassword,
    directory: values.opencodeDirectory,
    timeoutMs: values.opencodeTimeoutMs,
  };
  const backend = new OpenCodeBackend(options);
  const client = backend.client;
  try {
    const started = Date.now();
    let version: string;
    let protocol: string;
    try {
      const profile = await backend.checkServer();
      ({ version, protocol } = profile);
      checks.push({ name: "server answers", status: "ok", detail: `in ${Date.now() - started} ms` });
      const status = profile.support.status;
      checks.push({
        name: "OpenCode",
        status: status === "tested" || status === "supported" ? "ok" : "warn",
        detail: `${profile.version}${profile.protocol === "ndjson" ? " (the seed's NDJSON protocol)" : ""} · ${profile.support.summary}`,
        ...(status === "newer" || status === "unknown" ? { fix: "pocketpaw drives it; if something misbehaves, try a tested release (`pocketpaw health` names them)." } : {}),
      });
    } catch (error) {
      if (!(error instanceof OpenCodeError)) throw error;
      if (error instanceof UnreachableError || error instanceof TimeoutError) {
        const fix = error instanceof TimeoutError
          ? "Something accepted the connection but did not answer: check the address, or raise POCKETPAW_OPENCODE_TIMEOUT_MS for a slow server."
          : local
            ? `Start a server: \`opencode serve --port ${url.port || 80}\`, or let pocketpaw start one with --spawn (POCKETPAW_OPENCODE_SPAWN=1).`
            : "Check the address, that the server runs there, and that no firewall is in between.";
        checks.push({ name: "server answers", status: "fail", detail: error.message, fix, exitCode: EXIT.server });
        skipRest(serverChecks.slice(1), "no server answers");
        return;
      }
      checks.push({ name: "server answers", status: "ok", detail: `in ${Date.now() - started} ms` });
      if (error instanceof AuthError) {
        checks.push({ name: "OpenCode", status: "skip", detail: "skipped: it tells its version only once the credentials are accepted" });
        checks.push({
          name: "credentials",
          status: "fail",
          detail: error.message,
          fix: "Set POCKETPAW_OPENCODE_PASSWORD (and POCKETPAW_OPENCODE_USERNAME if not \"opencode\") to the server's OPENCODE_SERVER_PASSWORD / OPENCODE_SERVER_USERNAME.",
          exitCode: EXIT.server,
        });
        skipRest(serverChecks.slice(3), "the credentials must be accepted first");
        return;
      }
      const fix = error instanceof UnsupportedVersionError
        ? "Upgrade the server: `npm install -g opencode-ai@latest`, then restart `opencode serve`."
        : error instanceof NotOpenCodeError
          ? "Is this the OpenCode server's address? `opencode serve` prints it when it starts (\"opencode server listening on …\")."
          : "Check the server's log; `pocketpaw health` repeats this check.";
      checks.push({ name: "OpenCode", status: "fail", detail: error.message, fix, exitCode: EXIT.server });
      skipRest(serverChecks.slice(2), "it must be an OpenCode server pocketpaw can drive");
      return;
    }

    if (!client.hasCredentials) {
      checks.push({ name: "credentials", status: "ok", detail: "none configured, none needed" });
    } else {
      const open = await new OpenCodeClient({ ...options, password: "" }).health().then(() => true, () => false);
      checks.push(
        open
          ? { name: "credentials", status: "warn", detail: "accepted, but the server does not ask for any", fix: "Anyone who reaches the server can use it: start it with OPENCODE_SERVER_PASSWORD set." }
          : { name: "credentials", status: "ok", detail: `accepted (user ${values.opencodeUsername})` },
      );
    }

    checks.push(await checkModel(client, values.opencodeModel, sources.opencodeModel));
    checks.push(await checkDirectory(client, values.opencodeDirectory));
    checks.push(
      protocol === "ndjson"
        ? { name: "event stream", status: "ok", detail: "not needed: on the seed's protocol each answer streams itself" }
        : await checkEventStream(client, version),
    );
  } finally {
    await backend.close();
  }
}

async function checkModel(client: OpenCodeClient, configured: string, source: string): Promise<Check> {
  try {
    const [{ providers }, config] = await Promise.all([client.providers(), client.config()]);
    const chosen = configured || (typeof config.model === "string" ? config.model : "");
    const whose = configured ? `POCKETPAW_OPENCODE_MODEL, from ${source}` : "the server's default";
    if (!chosen) {
      if (providers.length === 0) {
        return { name: "model", status: "fail", detail: "the server has no model provider configured", fix: "Configure one on the server: `opencode auth login`, or a provider in opencode.json.", exitCode: EXIT.failed };
      }
      return { name: "model", status: "ok", detail: `none chosen: the server picks one of ${providers.map((p) => p.id).join(", ")}` };
    }
    const ref = parseModel(chosen);
    const provider = ref && providers.find((p) => p.id === ref.providerID);
    const models = Object.keys(provider?.models ?? {});
    if (ref && provider && models.includes(ref.modelID)) return { name: "model", status: "ok", detail: `${chosen} (${whose}) exists on the server` };
    const fix = !provider
      ? `The server's providers are ${providers.map((p) => p.id).join(", ") || "none"}; set POCKETPAW_OPENCODE_MODEL to one of their models, or configure ${ref?.providerID ?? "the provider"} on the server (\`opencode auth login\`).`
      : `${provider.id} has ${models.slice(0, 8).map((m) => `${provider.id}/${m}`).join(", ")}${models.length > 8 ? ", …" : ""}.`;
    return { name: "model", status: "fail", detail: `${chosen} (${whose}) is not a model of this server`, fix, exitCode: EXIT.failed };
  } catch (error) {
    if (!(error instanceof OpenCodeError)) throw error;
    return { name: "model", status: "warn", detail: `could not read the server's providers: ${error.message}`, fix: "Turns may still work; `pocketpaw ask hi` tells." };
  }
}

async function checkDirectory(client: OpenCodeClient, directory: string): Promise<Check> {
  try {
    if (!directory) {
      const paths = await client.paths();
      return { name: "directory", status: "ok", detail: `the server's own working directory${paths.directory ? `, ${paths.directory}` : ""}` };
    }
    if (!isAbsolute(directory) && !/^[A-Za-z]:[\\/]/.test(directory)) {
      return { name: "directory", status: "fail", detail: `"${directory}" is a relative path`, fix: "Set POCKETPAW_OPENCODE_DIRECTORY to an absolute path on the server's machine.", exitCode: EXIT.failed };
    }
    const entries = await client.listFiles(".");
    return { name: "directory", status: "ok", detail: `${directory} exists on the server (${entries.length} entr${entries.length === 1 ? "y" : "ies"})` };
  } catch (error) {
    if (!(error instanceof OpenCodeError)) throw error;
    if (error instanceof ApiError && directory) {
      return {
        name: "directory",
        status: "fail",
        detail: `${directory} does not exist on the server's machine, or is not a folder it can read (${error.message})`,
        fix: "Set POCKETPAW_OPENCODE_DIRECTORY (--directory) to a folder on the server's machine, or leave it empty for the server's own.",
        exitCode: EXIT.failed,
      };
    }
    return { name: "directory", status: "warn", detail: `could not check it: ${error.message}` };
  }
}

/** Opens `/event` and waits for the first frame: proxies that buffer SSE make turns hang silently. */
async function checkEventStream(client: OpenCodeClient, version: string): Promise<Check> {
  const started = Date.now();
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), EVENT_STREAM_WAIT_MS);
  try {
    const response = await client.events(stop.signal);
    for await (const data of readSseData(response.body as unknown as AsyncIterable<Uint8Array>)) {
      const type = (JSON.parse(data) as { type?: string }).type ?? "?";
      return { name: "event stream", status: "ok", detail: `live: first event (${type}) after ${Date.now() - started} ms` };
    }
    return { name: "event stream", status: "fail", detail: "the server closed the event stream at once", fix: "Check the server's log.", exitCode: EXIT.failed };
  } catch (error) {
    if (stop.signal.aborted) {
      return {
        name: "event stream",
        status: "fail",
        detail: `GET /event opened but delivered nothing within ${EVENT_STREAM_WAIT_MS / 1000} s (OpenCode ${version} sends an event at once)`,
        fix: "A proxy in between probably buffers Server-Sent Events: turn buffering off for /event (nginx: proxy_buffering off).",
        exitCode: EXIT.failed,
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { name: "event stream", status: "fail", detail: message, fix: "Turns need the event stream; check what stands between pocketpaw and the server.", exitCode: EXIT.failed };
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

function checkStore(settings: LoadedSettings): Check {
  const path = join(homeOf(settings), "pocketpaw.db");
  try {
    const store = new SqliteSessionStore(path);
    const count = store.list().length;
    store.close();
    return { name: "store", status: "ok", detail: `${path}: ${count} conversation${count === 1 ? "" : "s"} remembered` };
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    return { name: "store", status: "fail", detail: error.message, exitCode: EXIT.usage };
  }
}
