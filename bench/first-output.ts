// Part of benchmark 5: `pocketpaw ask` from spawn to its first byte of answer on stdout, against
// a raw client process that does the same work by hand (create a session, open /event, prompt,
// print the first text delta), both against the same real OpenCode server and scripted model,
// interleaved. The difference is what pocketpaw's start-up and pipeline add to the first word.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScriptedModel } from "../src/opencode/local-server/scripted-model.js";
import { startOpenCode } from "../test/support/opencode-server.js";
import { fixed, median } from "./report.js";

/** The raw client: plain fetch, no pocketpaw code; prints the first delta and exits. */
const RAW_CLIENT = `
const [url, text] = process.argv.slice(1);
const session = await (await fetch(url + "/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "raw" }) })).json();
const events = await fetch(url + "/event");
const reader = events.body.getReader();
const decoder = new TextDecoder();
let buffer = "";
let prompted = false;
for (;;) {
  const { value, done } = await reader.read();
  if (done) process.exit(1);
  buffer += decoder.decode(value, { stream: true });
  let end;
  while ((end = buffer.indexOf("\\n\\n")) >= 0) {
    const frame = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const event = JSON.parse(frame.slice(6));
    if (event.type === "server.connected" && !prompted) {
      prompted = true;
      await fetch(url + "/session/" + session.id + "/prompt_async", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ parts: [{ type: "text", text }] }) });
    }
    if (event.type === "message.part.delta" && event.properties.sessionID === session.id) {
      process.stdout.write(event.properties.delta);
      process.exit(0);
    }
  }
}`;

/** Milliseconds from spawn to the first stdout byte (the process is then left to finish). */
function timeToFirstOutput(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "ignore"], env });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no output within 30 s from ${args.join(" ")}`));
    }, 30_000);
    child.stdout.once("data", () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${args.join(" ")} exited ${code} before any output`));
    });
  });
}

/** Rows for the cold-start table: median times to first output, and pocketpaw's minus raw's. */
export async function firstOutput(main: string, runs: number): Promise<{ rows: string[][]; addedMs: number; ratio: number }> {
  const model = await startScriptedModel();
  const server = await startOpenCode({ modelBaseURL: model.baseURL });
  const home = mkdtempSync(join(tmpdir(), "pocketpaw-bench-ask-"));
  try {
    const env = { PATH: process.env.PATH ?? "", HOME: home, POCKETPAW_HOME: home, POCKETPAW_OPENCODE_BASE_URL: server.url };
    const prompt = "[[reply:first words]]";
    const raw: number[] = [];
    const ask: number[] = [];
    const rawRun = () => timeToFirstOutput(["--input-type=module", "-e", RAW_CLIENT, server.url, prompt], env);
    const askRun = (i: number) => timeToFirstOutput([main, "ask", "--session", `bench:${i}`, prompt], env);
    for (let i = 0; i <= runs; i++) {
      // Who goes first alternates: neither always meets the server just after the other's turn.
      let r: number;
      let a: number;
      if (i % 2 === 0) {
        r = await rawRun();
        a = await askRun(i);
      } else {
        a = await askRun(i);
        r = await rawRun();
      }
      if (i === 0) continue; // the server's first prompt of a directory loads its plugins
      raw.push(r);
      ask.push(a);
    }
    const added = median(ask) - median(raw);
    const ratio = median(ask) / median(raw);
    return {
      rows: [
        ["raw client, first text delta", fixed(median(raw), 1), fixed(Math.min(...raw), 1), ""],
        [
          "pocketpaw ask, first output",
          fixed(median(ask), 1),
          fixed(Math.min(...ask), 1),
          `${fixed(ratio)} of raw (${added >= 0 ? "+" : ""}${fixed(added, 1)} ms)`,
        ],
      ],
      addedMs: added,
      ratio,
    };
  } finally {
    await server.stop();
    await model.close();
    rmSync(home, { recursive: true, force: true });
  }
}
