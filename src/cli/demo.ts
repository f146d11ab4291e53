import { runDemo } from "../demo/run-demo.js";
import { colorWanted } from "./colors.js";

/** `pocketpaw demo`: the demo conversation on this terminal (see src/demo/run-demo.ts). */
export function demo(): Promise<number> {
  return runDemo({
    out: process.stdout,
    err: process.stderr,
    color: colorWanted(),
    ...(process.stderr.isTTY ? { spinnerStream: process.stderr } : {}),
    ...(process.stdin.isTTY ? { terminal: process.stdin } : {}),
  });
}
