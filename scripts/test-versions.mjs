#!/usr/bin/env node
// Runs the version suite (test/integration/versions.test.ts) against every OpenCode server
// release pocketpaw supports, one after the other:
//
//   npm run test:versions                   1.2.6, 1.14.34, 1.15.13 and 1.18.33
//   npm run test:versions -- 1.15.13 1.1.65 only these (an older one checks the "too old" error)
//   npm run test:versions -- --install-only 1.14.34
//
// 1.2.6 (devDependency alias `opencode-1.2`) and 1.18.33 (`opencode-linux-x64`) come from
// node_modules. The others are 177 MB each, so they are not dependencies: this script fetches
// the platform package with `npm pack` into .cache/opencode-versions/<version>/ the first time
// and reuses it afterwards. The binary is started directly by the suite (never the npm wrapper).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cache = join(root, ".cache", "opencode-versions");
const platformPackage = `opencode-${process.platform}-${process.arch}`;

/** The supported releases, oldest first; where one is installed as a dependency, its binary. */
const TESTED = [
  { version: "1.2.6", binary: join(root, "node_modules", "opencode-1.2", "bin", "opencode") },
  { version: "1.14.34" },
  { version: "1.15.13" },
  { version: "1.18.33", binary: join(root, "node_modules", platformPackage, "bin", "opencode") },
];

function versionOf(binary) {
  try {
    // Offline, like the suite: old releases otherwise try to fetch the model catalogue first.
    const env = { ...process.env, OPENCODE_DISABLE_MODELS_FETCH: "1", OPENCODE_DISABLE_AUTOUPDATE: "1" };
    return execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 30_000, env, stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** The binary of `version`: from node_modules when it is the one there, else from the cache (fetched once). */
function binaryFor(version) {
  const known = TESTED.find((t) => t.version === version)?.binary;
  if (known && existsSync(known) && versionOf(known) === version) return known;
  const binary = join(cache, version, "bin", "opencode");
  if (existsSync(binary) && versionOf(binary) === version) return binary;
  console.log(`# fetching ${platformPackage}@${version} into ${cache} (once: later runs reuse it)`);
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, `.${version}-`));
  try {
    let file;
    try {
      file = execFileSync("npm", ["pack", `${platformPackage}@${version}`, "--pack-destination", work, "--silent"], {
        encoding: "utf8",
        timeout: 15 * 60_000,
      })
        .trim()
        .split("\n")
        .at(-1);
    } catch (error) {
      throw new Error(
        `Could not fetch ${platformPackage}@${version} with npm pack (${error.message.split("\n")[0]}). Is the npm registry reachable, and is ${version} an OpenCode release?`,
      );
    }
    const unpacked = join(work, "unpacked");
    mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", join(work, file), "-C", unpacked, "--strip-components=1"], { timeout: 5 * 60_000 });
    rmSync(join(cache, version), { recursive: true, force: true });
    renameSync(unpacked, join(cache, version)); // whole or not at all
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const got = versionOf(binary);
  if (got !== version) throw new Error(`${binary} reports version ${got ?? "(none)"}, expected ${version}`);
  return binary;
}

const args = process.argv.slice(2);
const installOnly = args.includes("--install-only");
const asked = args.filter((a) => !a.startsWith("--"));
const versions = asked.length ? asked : TESTED.map((t) => t.version);

const results = [];
for (const version of versions) {
  let binary;
  try {
    binary = binaryFor(version);
  } catch (error) {
    console.error(error.message);
    results.push({ version, ok: false, note: "not fetched" });
    continue;
  }
  if (installOnly) {
    console.log(`# ${version}: ${binary}`);
    continue;
  }
  console.log(`\n# OpenCode ${version} (${binary})`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "test/integration/versions.test.ts"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, POCKETPAW_TEST_OPENCODE_BINARY: binary },
  });
  results.push({ version, ok: run.status === 0, seconds: Math.round((Date.now() - started) / 100) / 10 });
}

if (results.length) {
  console.log("\n# version suite");
  for (const r of results) console.log(`#   ${r.ok ? "pass" : "FAIL"}  OpenCode ${r.version}  (${r.note ?? `${r.seconds} s`})`);
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
