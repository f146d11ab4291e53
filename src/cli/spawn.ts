import type { LoadedSettings } from "../config/settings.js";
import { OpenCodeClient } from "../opencode/client.js";
import { UnreachableError } from "../opencode/errors.js";
import { type ManagedServer, NoBinaryError, startManagedServer } from "../opencode/managed-server.js";
import { CliError } from "./context.js";
import { EXIT } from "./exit-codes.js";
import type { Output } from "./render.js";

/** How long the probe waits for whatever is at the URL before deciding nothing answers. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * `--spawn` (POCKETPAW_OPENCODE_SPAWN): when the base URL is on this machine and nothing answers
 * there, start `opencode serve` on that address with the user's own OpenCode configuration and
 * keys, in the project directory. The caller stops it when done (and the managed server's exit
 * hooks kill it if pocketpaw dies first). Returns undefined when spawning is off or a server (or
 * anything else) already answers: then the command talks to that and reports what it finds.
 */
export async function spawnIfWanted(settings: LoadedSettings, err: Output): Promise<ManagedServer | undefined> {
  const { values } = settings;
  if (!values.opencodeSpawn) return undefined;
  const url = new URL(values.opencodeBaseUrl);
  const where = `${values.opencodeBaseUrl} (from ${settings.sources.opencodeBaseUrl === "default" ? "the default" : settings.sources.opencodeBaseUrl})`;
  if (!isThisMachine(url.hostname)) {
    throw new CliError(`--spawn starts a server only on this machine, and ${where} is not; drop --spawn or point --url at http://127.0.0.1:PORT.`, EXIT.usage);
  }
  if (url.protocol !== "http:" || (url.pathname !== "/" && url.pathname !== "")) {
    throw new CliError(`--spawn serves plain http at the root of a port, and ${where} is not of the form http://127.0.0.1:PORT.`, EXIT.usage);
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
    err.write(`Started opencode serve at ${values.opencodeBaseUrl} (pid ${server.pid}, ready in ${(server.startupMs / 1000).toFixed(1)} s, project ${cwd}); it stops when pocketpaw exits.\n`);
    return server;
  } catch (error) {
    if (error instanceof NoBinaryError) throw new CliError(error.message, EXIT.server);
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new CliError(`Could not start opencode serve on ${hostname}:${port} for --spawn: ${detail}`, EXIT.server);
  }
}

/** Loopback names and addresses: a server there is one pocketpaw can start. */
export function isThisMachine(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
