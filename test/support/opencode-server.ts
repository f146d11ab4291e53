import { freePort, type ManagedServer, startManagedServer, withTimeout } from "../../src/opencode/local-server/managed-server.js";
import { scriptedProviderConfig } from "../../src/opencode/local-server/scripted-model.js";

/**
 * The real `opencode serve` for integration tests: isolated (fresh HOME and XDG folders),
 * offline, wired to a scripted model on loopback (see src/opencode/local-server/scripted-model.ts).
 */
export interface StartOpenCodeOptions {
  /** The scripted model's base URL, e.g. "http://127.0.0.1:PORT/v1". */
  modelBaseURL: string;
  password?: string;
  username?: string;
  /** Path of the opencode binary; default: the installed platform package's. */
  binary?: string;
  /** Merged over the generated config: objects key by key, anything else replaced. */
  extraConfig?: Record<string, unknown>;
  /** Default: a free port. */
  port?: number;
  /** The server's folders (its sessions live there), kept at stop; default: a temp folder removed at stop. */
  root?: string;
}

export type OpenCodeServer = ManagedServer;
export { freePort, withTimeout };

export function startOpenCode(opts: StartOpenCodeOptions): Promise<OpenCodeServer> {
  return startManagedServer({
    isolated: true,
    config: deepMerge(scriptedProviderConfig(opts.modelBaseURL), opts.extraConfig ?? {}),
    ...(opts.binary ? { binary: opts.binary } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.root !== undefined ? { root: opts.root } : {}),
  });
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `over` merged into `base`: nested objects merge key by key, other values (arrays too) replace. */
function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}
