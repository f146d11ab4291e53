import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Backend } from "../agent/backend.js";
import type { LoadedSettings } from "../config/settings.js";
import { OpenCodeBackend } from "../opencode/backend/backend.js";
import { type ManagedServer, NoBinaryError, startManagedServer } from "../opencode/local-server/managed-server.js";
import { type ScriptedModel, scriptedProviderConfig, startScriptedModel } from "../opencode/local-server/scripted-model.js";
import { OpenCodeClient } from "../opencode/rest/client.js";
import { UnreachableError } from "../opencode/rest/errors.js";
import { MemorySessionStore } from "../sessions/store.js";
import { isThisMachine } from "../util/loopback.js";

/** How long the probe waits for whatever is at the URL before deciding nothing answers. */
const PROBE_TIMEOUT_MS = 2_000;

/** Why a local server was not started: the settings do not allow it, or starting it failed. */
export class LocalServerError extends Error {
  constructor(
    message: string,
    readonly reason: "settings" | "server",
  ) {
    super(message);
  }
}

/** A server pocketpaw started; `stop` ends its whole process group. */
export interface LocalServer {
  url: string;
  pid: number;
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * `--spawn` (POCKETPAW_OPENCODE_SPAWN): when the base URL is on this machine and nothing answers
 * there, start `opencode serve` on that address with the user's own OpenCode configuration and
 * keys, in the project directory. The caller stops it when done (and the managed server's exit
 * hooks kill it if pocketpaw dies first). Returns undefined when spawning is off or a server (or
 * anything else) already answers: then the command talks to that and reports what it finds.
 */
export async function spawnIfWanted(settings: LoadedSettings, say: (line: string) => void): Promise<LocalServer | undefined> {
  const { values } = settings;
  if (!values.opencodeSpawn) return undefined;
  const url = new URL(values.opencodeBaseUrl);
  const where = `${values.opencodeBaseUrl} (from ${settings.sources.opencodeBaseUrl === "default" ? "the default" : settings.sources.opencodeBaseUrl})`;
  if (!isThisMachine(url.hostname)) {
    throw new LocalServerError(
      `--spawn starts a server only on this machine, and ${where} is not; drop --spawn or point --url at http://127.0.0.1:PORT.`,
      "settings",
    );
  }
  if (url.protocol !== "http:" || (url.pathname !== "/" && url.pathname !== "")) {
    throw new LocalServerError(
      `--spawn serves plain http at the root of a port, and ${where} is not of the form http://127.0.0.1:PORT.`,
      "settings",
    );
  }

  const client = new OpenCodeClient({ baseUrl: values.opencodeBaseUrl, timeoutMs: PROBE_TIMEOUT_MS });
  try {
    await client.health();
    return undefined;
  } catch (error) {
    // Only "nothing listens" means start one; anything that answers is left to the command.
    if (!(error instanceof UnreachableError)) return undefined;
  }

  const port = Number(url.port || 80);
  // `localhost` may resolve to ::1 or 127.0.0.1; clients try both, so the IPv4 one serves it.
  const hostname = url.hostname === "localhost" ? "127.0.0.1" : url.hostname.replace(/^\[(.*)\]$/, "$1");
  const cwd = values.opencodeDirectory || process.cwd();
  try {
    const server = await startManagedServer({
      port,
      hostname,
      cwd,
      ...(values.opencodePassword ? { password: values.opencodePassword, username: values.opencodeUsername } : {}),
    });
    say(
      `Started opencode serve at ${values.opencodeBaseUrl} (pid ${server.pid}, ready in ${(server.startupMs / 1000).toFixed(1)} s, project ${cwd}); it stops when pocketpaw exits.`,
    );
    return server;
  } catch (error) {
    if (error instanceof NoBinaryError) throw new LocalServerError(error.message, "server");
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new LocalServerError(`Could not start opencode serve on ${hostname}:${port} for --spawn: ${detail}`, "server");
  }
}

/** The demo's world: a real server in a temp folder, wired to the scripted model, and a backend on it. */
export interface DemoStack extends LocalServer {
  backend: Backend;
  /** The server's project folder. */
  projectDir: string;
}

/**
 * Starts the scripted model and `opencode serve` isolated in a temp folder (no network, no API
 * key), asking before every shell command, with `files` written into its project folder.
 * `stop` ends the backend, the server's whole process group, the model and the temp folder.
 */
export async function startDemoStack(files: Record<string, string>): Promise<DemoStack> {
  let model: ScriptedModel | undefined;
  let server: ManagedServer | undefined;
  try {
    model = await startScriptedModel();
    server = await startManagedServer({
      isolated: true,
      config: { ...scriptedProviderConfig(model.baseURL), permission: { bash: "ask" } },
    });
    for (const [name, text] of Object.entries(files)) await writeFile(join(server.projectDir, name), text);
  } catch (error) {
    await server?.stop();
    await model?.close();
    throw error;
  }
  const backend = new OpenCodeBackend({ baseUrl: server.url, store: new MemorySessionStore() });
  const [started, scripted] = [server, model];
  return {
    backend,
    url: started.url,
    pid: started.pid,
    startupMs: started.startupMs,
    projectDir: started.projectDir,
    async stop() {
      await backend.close();
      await started.stop();
      await scripted.close();
    },
  };
}
