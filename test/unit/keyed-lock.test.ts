import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KeyedLock } from "../../src/opencode/backend/keyed-lock.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("KeyedLock: one holder per key, in order; a waiter that gives up leaves at once", () => {
  test("holders of one key go one after the other, other keys are not held up", async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const first = await lock.acquire("a");
    const second = lock.acquire("a").then((release) => (order.push("a2"), release));
    const other = lock.acquire("b").then((release) => (order.push("b1"), release));
    await tick();
    assert.deepEqual(order, ["b1"]);
    first();
    (await second)();
    (await other)();
    assert.deepEqual(order, ["b1", "a2"]);
  });

  test("a waiter aborted in the middle of the queue: it rejects at once, and the one behind it still waits for the holder", async () => {
    const lock = new KeyedLock();
    const holder = await lock.acquire("k");
    const controller = new AbortController();
    const middle = lock.acquire("k", controller.signal);
    let lastGot = false;
    const last = lock.acquire("k").then((release) => {
      lastGot = true;
      return release;
    });
    controller.abort(new Error("gave up"));
    await assert.rejects(middle, /gave up/);
    await tick();
    assert.equal(lastGot, false, "the holder has not released yet");
    holder();
    (await last)();
    assert.equal(lastGot, true);
  });

  test("an already-aborted signal rejects without waiting, and leaves the key free", async () => {
    const lock = new KeyedLock();
    const holder = await lock.acquire("k");
    await assert.rejects(lock.acquire("k", AbortSignal.abort()), { name: "AbortError" });
    holder();
    const again = await Promise.race([lock.acquire("k"), new Promise<"stuck">((resolve) => setTimeout(() => resolve("stuck"), 200))]);
    assert.notEqual(again, "stuck");
    if (typeof again === "function") again();
  });
});
