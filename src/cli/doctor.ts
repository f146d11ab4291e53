import { join } from "node:path";
import type { Backend, Check } from "../agent/backend.js";
import { BackendUnavailableError, openBackend } from "../app/backend.js";
import { checkChannels } from "../channels/index.js";
import { homeOf, type LoadedSettings, loadSettings, SettingsError } from "../config/settings.js";
import { SqliteSessionStore, StoreError } from "../sessions/sqlite-store.js";
import { MemorySessionStore } from "../sessions/store.js";
import { isThisMachine } from "../util/loopback.js";
import { colorsFor } from "./colors.js";
import { type CommonFlags, settingFlags } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { safeText } from "./safe-text.js";

/** What the server's checks are called, in order (skipped together when the settings are wrong). */
const SERVER_CHECKS = ["server answers", "OpenCode", "credentials", "model", "directory", "event stream"] as const;

/**
 * `pocketpaw doctor`: checks, in order, everything between this terminal and a working turn, and
 * says what to do about each failure. Checks that need an earlier one to pass are skipped.
 */
export async function doctor(flags: CommonFlags & { json?: boolean }): Promise<number> {
  const checks = await runChecks(flags);
  const failed = checks.find((c) => c.status === "fail");
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ok: !failed, checks })}\n`);
  } else {
    const c = colorsFor();
    const mark: Record<Check["status"], string> = { ok: c.green("✓"), warn: c.yellow("!"), fail: c.red("✗"), skip: c.dim("-") };
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
      failed
        ? c.red(`\nNot ready: fix "${failed.name}" first.\n`)
        : c.green(`\nReady${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}.\n`),
    );
  }
  return failed ? (failed.code ? exitCodeFor(failed.code) : EXIT.failed) : EXIT.ok;
}

export async function runChecks(flags: CommonFlags): Promise<Check[]> {
  const checks: Check[] = [];
  const skipRest = (names: string[], why: string) => {
    for (const name of names) checks.push({ name, status: "skip", detail: `skipped: ${why}` });
  };

  // 1. Settings, the URL among them.
  let settings: LoadedSettings;
  try {
    settings = loadSettings({ flags: settingFlags(flags) });
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    const name = error.setting === "opencodeBaseUrl" ? "URL" : "settings";
    checks.push({
      name,
      status: "fail",
      detail: error.message,
      fix: "Correct it where it came from; `pocketpaw config` shows every setting and its source once they are valid.",
      code: "bad_request",
    });
    skipRest(name === "URL" ? [...SERVER_CHECKS] : ["URL", ...SERVER_CHECKS], "the settings must be valid first");
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

  await checkServer(settings, checks, skipRest);
  checks.push(checkStore(settings));
  checks.push(...(await checkChannels(settings)));
  return checks;
}

/** The server's checks, as the backend knows them; a backend this build lacks fails them all. */
async function checkServer(settings: LoadedSettings, checks: Check[], skipRest: (names: string[], why: string) => void): Promise<void> {
  let backend: Backend;
  try {
    // Its own memory store: the real one is the last check, and a broken one must not hide the server's.
    backend = openBackend(settings, { store: new MemorySessionStore() });
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    checks.push({ name: "backend", status: "fail", detail: error.message, code: "bad_request" });
    skipRest([...SERVER_CHECKS], "the backend must be available first");
    return;
  }
  try {
    checks.push(...(await backend.diagnose()));
  } finally {
    await backend.close();
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
    return { name: "store", status: "fail", detail: error.message, code: "bad_request" };
  }
}
