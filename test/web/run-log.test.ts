import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AgentEvent } from "../../src/agent/events.js";
import { followRun, RunLog } from "../../src/web/run-log.js";

const chunk = (n: number): AgentEvent => ({ type: "message", content: `w${n} `, metadata: { partId: "p", messageId: "m" } });

describe("RunLog: a run's events, numbered and bounded", () => {
  test("ids are <run>-<seq>; since() gives what follows a point; seqOf() reads Last-Event-ID", () => {
    const log = new RunLog({ runId: "r1", key: "web:a", text: "hi" });
    for (let i = 1; i <= 5; i++) log.append(chunk(i));
    assert.deepEqual(
      log.since(0).entries.map((e) => e.id),
      ["r1-1", "r1-2", "r1-3", "r1-4", "r1-5"],
    );
    assert.deepEqual(
      log.since(3).entries.map((e) => e.seq),
      [4, 5],
    );
    assert.equal(log.since(5).entries.length, 0);
    assert.equal(log.seqOf("r1-3"), 3);
    // Another run's id, a future one, garbage: from the start.
    for (const other of ["r0-3", "r1-9", "r1-x", "", undefined, "-", "r1-"]) assert.equal(log.seqOf(other), 0, String(other));
  });

  test("past its byte budget the oldest events go, and a reader from before them is told", () => {
    const log = new RunLog({ runId: "r", key: "k", text: "t", maxBytes: 1_000 });
    for (let i = 1; i <= 5_000; i++) log.append(chunk(i));
    const all = log.since(0);
    assert.equal(all.gap, true);
    const kept = all.entries.reduce((n, e) => n + e.data.length, 0);
    assert.ok(kept <= 1_000, `kept ${kept} bytes`);
    assert.equal(all.entries.at(-1)?.seq, 5_000);
    const first = all.entries[0]?.seq ?? 0;
    // Contiguous up to the newest, and no gap for a reader that is inside the window.
    assert.deepEqual(
      all.entries.map((e) => e.seq),
      Array.from({ length: 5_001 - first }, (_, i) => first + i),
    );
    assert.equal(log.since(first).gap, false);
  });

  test("followRun: everything after the point, live, in order, ending with the run", async () => {
    const log = new RunLog({ runId: "r", key: "k", text: "t" });
    log.append(chunk(1));
    log.append(chunk(2));
    const reader = (async () => {
      const seen: number[] = [];
      for await (const batch of followRun(log, 1, new AbortController().signal)) seen.push(...batch.entries.map((e) => e.seq));
      return seen;
    })();
    for (let i = 3; i <= 50; i++) {
      log.append(chunk(i));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    log.finish();
    assert.deepEqual(
      await reader,
      Array.from({ length: 49 }, (_, i) => i + 2),
    );
  });

  test("followRun stops when its reader goes away, while the run goes on", async () => {
    const log = new RunLog({ runId: "r", key: "k", text: "t" });
    const gone = new AbortController();
    const reader = (async () => {
      let n = 0;
      for await (const batch of followRun(log, 0, gone.signal)) n += batch.entries.length;
      return n;
    })();
    log.append(chunk(1));
    await new Promise((r) => setTimeout(r, 5));
    gone.abort();
    assert.equal(await reader, 1);
    log.append(chunk(2));
    assert.equal(log.lastSeq, 2);
  });
});
