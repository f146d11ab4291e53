import type { BackendInfo } from "../agent/backend.js";
import { BACKENDS } from "../agent/registry.js";
import { colorsFor } from "./colors.js";
import { EXIT } from "./exit-codes.js";
import { columns } from "./format.js";

/**
 * `pocketpaw backends`: the six backends of PocketPaw's comparison, with their capability
 * badges, status, required key and whether this build has them.
 */
export async function backends(flags: { json?: boolean }): Promise<number> {
  const all: BackendInfo[] = Object.values(BACKENDS);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(all)}\n`);
    return EXIT.ok;
  }
  const c = colorsFor();
  const rows = [
    ["BACKEND", "NAME", "STATUS", "CAPABILITIES", "REQUIRED KEY", "LOCAL MODELS", "IN THIS BUILD"],
    ...all.map((b) => [
      b.displayName,
      b.name,
      b.status === "production" ? "Production" : "Beta",
      b.capabilities.map((cap) => `[${cap}]`).join(" "),
      b.requiredKeys.join(", ") || "none",
      b.localModels ?? "no",
      b.available ? "yes" : `no: ${b.installHint}`,
    ]),
  ];
  const lines = columns(rows, (text, row, column) => {
    if (row === 0) return c.dim(text);
    if (column === 0) return c.bold(text);
    if (column === 2) return text.startsWith("Production") ? c.green(text) : c.yellow(text);
    if (column === 3) return c.cyan(text);
    if (column === 6) return text.startsWith("yes") ? c.green(text) : c.dim(text);
    return text;
  });
  process.stdout.write(`${lines.join("\n")}\n`);
  // Which one is configured is `pocketpaw config`'s to say: reading the settings would double this command's start-up.
  process.stdout.write(c.dim("POCKETPAW_AGENT_BACKEND chooses one; `pocketpaw config` shows which.\n"));
  return EXIT.ok;
}
