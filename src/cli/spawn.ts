import { type LocalServer, LocalServerError, spawnIfWanted as spawnLocal } from "../app/local-server.js";
import type { LoadedSettings } from "../config/settings.js";
import { CliError } from "./context.js";
import { EXIT } from "./exit-codes.js";
import type { Output } from "./render.js";

/** `--spawn` for `ask` and `chat` (see app/local-server.ts); a refusal or failure is one line and an exit code. */
export async function spawnIfWanted(settings: LoadedSettings, err: Output): Promise<LocalServer | undefined> {
  try {
    return await spawnLocal(settings, (line) => err.write(`${line}\n`));
  } catch (error) {
    if (error instanceof LocalServerError) throw new CliError(error.message, error.reason === "settings" ? EXIT.usage : EXIT.server);
    throw error;
  }
}
