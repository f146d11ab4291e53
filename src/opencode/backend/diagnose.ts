import { isAbsolute } from "node:path";
import type { Check } from "../../agent/backend.js";
import { parseModel } from "../../config/settings.js";
import { isThisMachine } from "../../util/loopback.js";
import { type ClientOptions, OpenCodeClient } from "../rest/client.js";
import {
  ApiError,
  AuthError,
  NotOpenCodeError,
  OpenCodeError,
  TimeoutError,
  UnreachableError,
  UnsupportedVersionError,
} from "../rest/errors.js";
import { readSseData } from "../transport/sse.js";
import type { ServerProfile } from "./server-profile.js";

const EVENT_STREAM_WAIT_MS = 5_000;
export const SERVER_CHECKS = ["server answers", "OpenCode", "credentials", "model", "directory", "event stream"] as const;

export interface DiagnoseOptions extends ClientOptions {
  /** The configured model ("" = the server's default), and where that setting came from. */
  model: string;
  modelSource: string;
  username: string;
}

/**
 * The server's part of `pocketpaw doctor`, in order: it answers, it is OpenCode (which version),
 * it takes the credentials, it has the model and the directory, it streams events. Checks that
 * need an earlier one to pass are skipped.
 */
export async function diagnose(
  client: OpenCodeClient,
  checkServer: () => Promise<ServerProfile>,
  options: DiagnoseOptions,
): Promise<Check[]> {
  const checks: Check[] = [];
  const skipRest = (from: number, why: string) => {
    for (const name of SERVER_CHECKS.slice(from)) checks.push({ name, status: "skip", detail: `skipped: ${why}` });
  };
  const url = new URL(client.baseUrl);
  const started = Date.now();
  let profile: ServerProfile;
  try {
    profile = await checkServer();
  } catch (error) {
    if (!(error instanceof OpenCodeError)) throw error;
    if (error instanceof UnreachableError || error instanceof TimeoutError) {
      const fix =
        error instanceof TimeoutError
          ? "Something accepted the connection but did not answer: check the address, or raise POCKETPAW_OPENCODE_TIMEOUT_MS for a slow server."
          : isThisMachine(url.hostname)
            ? `Start a server: \`opencode serve --port ${url.port || 80}\`, or let pocketpaw start one with --spawn (POCKETPAW_OPENCODE_SPAWN=1).`
            : "Check the address, that the server runs there, and that no firewall is in between.";
      // Either way nothing usable answers: the check stands for an unreachable server.
      checks.push({ name: "server answers", status: "fail", detail: error.message, fix, code: "unreachable" });
      skipRest(1, "no server answers");
      return checks;
    }
    checks.push({ name: "server answers", status: "ok", detail: `in ${Date.now() - started} ms` });
    if (error instanceof AuthError) {
      checks.push({ name: "OpenCode", status: "skip", detail: "skipped: it tells its version only once the credentials are accepted" });
      checks.push({
        name: "credentials",
        status: "fail",
        detail: error.message,
        fix: 'Set POCKETPAW_OPENCODE_PASSWORD (and POCKETPAW_OPENCODE_USERNAME if not "opencode") to the server\'s OPENCODE_SERVER_PASSWORD / OPENCODE_SERVER_USERNAME.',
        code: error.code,
      });
      skipRest(3, "the credentials must be accepted first");
      return checks;
    }
    const fix =
      error instanceof UnsupportedVersionError
        ? error.version?.startsWith("2")
          ? "pocketpaw drives OpenCode 1.x: `npm install -g opencode-ai@1`, then `opencode serve --port 4096`, and point POCKETPAW_OPENCODE_BASE_URL at it."
          : "Upgrade the server: `npm install -g opencode-ai@latest`, then restart `opencode serve`."
        : error instanceof NotOpenCodeError
          ? 'Is this the OpenCode server\'s address? `opencode serve` prints it when it starts ("opencode server listening on …").'
          : "Check the server's log; `pocketpaw health` repeats this check.";
    checks.push({ name: "OpenCode", status: "fail", detail: error.message, fix, code: error.code });
    skipRest(2, "it must be an OpenCode server pocketpaw can drive");
    return checks;
  }
  checks.push({ name: "server answers", status: "ok", detail: `in ${Date.now() - started} ms` });
  const status = profile.support.status;
  checks.push({
    name: "OpenCode",
    status: status === "tested" || status === "supported" ? "ok" : "warn",
    detail: `${profile.version}${profile.protocol === "ndjson" ? " (the seed's NDJSON protocol)" : ""} · ${profile.support.summary}`,
    ...(status === "newer" || status === "unknown"
      ? { fix: "pocketpaw drives it; if something misbehaves, try a tested release (`pocketpaw health` names them)." }
      : {}),
  });

  if (!client.hasCredentials) {
    checks.push({ name: "credentials", status: "ok", detail: "none configured, none needed" });
  } else {
    const open = await new OpenCodeClient({ ...options, password: "" }).health().then(
      () => true,
      () => false,
    );
    checks.push(
      open
        ? {
            name: "credentials",
            status: "warn",
            detail: "accepted, but the server does not ask for any",
            fix: "Anyone who reaches the server can use it: start it with OPENCODE_SERVER_PASSWORD set.",
          }
        : { name: "credentials", status: "ok", detail: `accepted (user ${options.username})` },
    );
  }

  checks.push(await checkModel(client, options.model, options.modelSource));
  checks.push(await checkDirectory(client, options.directory ?? ""));
  checks.push(
    profile.protocol === "ndjson"
      ? { name: "event stream", status: "ok", detail: "not needed: on the seed's protocol each answer streams itself" }
      : await checkEventStream(client, profile.version),
  );
  return checks;
}

async function checkModel(client: OpenCodeClient, configured: string, source: string): Promise<Check> {
  try {
    const [{ providers }, config] = await Promise.all([client.providers(), client.config()]);
    const chosen = configured || (typeof config.model === "string" ? config.model : "");
    const whose = configured ? `POCKETPAW_OPENCODE_MODEL, from ${source}` : "the server's default";
    if (!chosen) {
      if (providers.length === 0) {
        return {
          name: "model",
          status: "fail",
          detail: "the server has no model provider configured",
          fix: "Configure one on the server: `opencode auth login`, or a provider in opencode.json.",
        };
      }
      return { name: "model", status: "ok", detail: `none chosen: the server picks one of ${providers.map((p) => p.id).join(", ")}` };
    }
    const ref = parseModel(chosen);
    const provider = ref && providers.find((p) => p.id === ref.providerID);
    const models = Object.keys(provider?.models ?? {});
    if (ref && provider && models.includes(ref.modelID))
      return { name: "model", status: "ok", detail: `${chosen} (${whose}) exists on the server` };
    const fix = !provider
      ? `The server's providers are ${providers.map((p) => p.id).join(", ") || "none"}; set POCKETPAW_OPENCODE_MODEL to one of their models, or configure ${ref?.providerID ?? "the provider"} on the server (\`opencode auth login\`).`
      : `${provider.id} has ${models
          .slice(0, 8)
          .map((m) => `${provider.id}/${m}`)
          .join(", ")}${models.length > 8 ? ", …" : ""}.`;
    return { name: "model", status: "fail", detail: `${chosen} (${whose}) is not a model of this server`, fix };
  } catch (error) {
    if (!(error instanceof OpenCodeError)) throw error;
    return {
      name: "model",
      status: "warn",
      detail: `could not read the server's providers: ${error.message}`,
      fix: "Turns may still work; `pocketpaw ask hi` tells.",
    };
  }
}

async function checkDirectory(client: OpenCodeClient, directory: string): Promise<Check> {
  try {
    if (!directory) {
      const paths = await client.paths();
      return {
        name: "directory",
        status: "ok",
        detail: `the server's own working directory${paths.directory ? `, ${paths.directory}` : ""}`,
      };
    }
    if (!isAbsolute(directory) && !/^[A-Za-z]:[\\/]/.test(directory)) {
      return {
        name: "directory",
        status: "fail",
        detail: `"${directory}" is a relative path`,
        fix: "Set POCKETPAW_OPENCODE_DIRECTORY to an absolute path on the server's machine.",
      };
    }
    const entries = await client.listFiles(".");
    return {
      name: "directory",
      status: "ok",
      detail: `${directory} exists on the server (${entries.length} entr${entries.length === 1 ? "y" : "ies"})`,
    };
  } catch (error) {
    if (!(error instanceof OpenCodeError)) throw error;
    if (error instanceof ApiError && directory) {
      return {
        name: "directory",
        status: "fail",
        detail: `${directory} does not exist on the server's machine, or is not a folder it can read (${error.message})`,
        fix: "Set POCKETPAW_OPENCODE_DIRECTORY (--directory) to a folder on the server's machine, or leave it empty for the server's own.",
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
    for await (const data of readSseData(response.body)) {
      const type = (JSON.parse(data) as { type?: string }).type ?? "?";
      return { name: "event stream", status: "ok", detail: `live: first event (${type}) after ${Date.now() - started} ms` };
    }
    return { name: "event stream", status: "fail", detail: "the server closed the event stream at once", fix: "Check the server's log." };
  } catch (error) {
    if (stop.signal.aborted) {
      return {
        name: "event stream",
        status: "fail",
        detail: `GET /event opened but delivered nothing within ${EVENT_STREAM_WAIT_MS / 1000} s (OpenCode ${version} sends an event at once)`,
        fix: "A proxy in between probably buffers Server-Sent Events: turn buffering off for /event (nginx: proxy_buffering off).",
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    return {
      name: "event stream",
      status: "fail",
      detail: message,
      fix: "Turns need the event stream; check what stands between pocketpaw and the server.",
    };
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}
