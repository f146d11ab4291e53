import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { OcEvent } from "../../src/opencode/rest/wire.js";

/**
 * Streams recorded from the real OpenCode server (opencode-ai 1.18.33), copied from the shared
 * recordings into the repo so the tests need nothing beside it (see fixtures/recordings/README.md).
 */
export function recordingPath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/recordings/${name}`, import.meta.url));
}

export function recordingBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(recordingPath(name)));
}

/** The recording's events, in order, as the `/event` stream delivered them. */
export function recordedEvents(name: string): OcEvent[] {
  return readFileSync(recordingPath(name), "utf8")
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as OcEvent);
}
