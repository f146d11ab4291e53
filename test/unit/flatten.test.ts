import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AsyncQueue } from "../../src/util/async-queue.js";
import { flatten } from "../../src/util/flatten.js";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("flatten: a sequence of batches handed out item by item", () => {
  test("items in order, empty batches passed over", async () => {
    async function* batches() {
      yield [1, 2];
      yield [];
      yield [3];
    }
    assert.deepEqual(await collect(flatten(batches())), [1, 2, 3]);
  });

  test("calls of next that do not wait for each other still get the items in order, then the end", async () => {
    async function* batches() {
      yield ["a"];
      await new Promise((resolve) => setImmediate(resolve));
      yield ["b", "c"];
    }
    const items = flatten(batches());
    const results = await Promise.all([items.next(), items.next(), items.next(), items.next()]);
    assert.deepEqual(
      results.map((r) => r.value),
      ["a", "b", "c", undefined],
    );
    assert.deepEqual(
      results.map((r) => r.done),
      [false, false, false, true],
    );
  });

  test("breaking out ends the source (its finally runs); the rest of the batch is not handed out", async () => {
    let finished = false;
    async function* batches() {
      try {
        yield [1, 2, 3];
        yield [4];
      } finally {
        finished = true;
      }
    }
    const seen: number[] = [];
    for await (const item of flatten(batches())) {
      seen.push(item);
      if (item === 2) break;
    }
    assert.deepEqual(seen, [1, 2]);
    assert.equal(finished, true);
  });

  test("a source that throws: the error reaches the consumer after the items before it, then the sequence is over", async () => {
    async function* batches(): AsyncGenerator<number[]> {
      yield [1];
      throw new Error("broken");
    }
    const items = flatten(batches());
    assert.deepEqual(await items.next(), { value: 1, done: false });
    await assert.rejects(items.next(), /broken/);
    assert.deepEqual(await items.next(), { value: undefined, done: true });
  });
});

describe("AsyncQueue: one item, or every item queued", () => {
  test("nextBatch takes what a burst pushed in one wake-up, next takes one at a time", async () => {
    const queue = new AsyncQueue<number>();
    const batch = queue.nextBatch();
    for (const n of [1, 2, 3]) queue.push(n);
    assert.deepEqual(await batch, [1, 2, 3]);
    queue.push(4);
    queue.push(5);
    assert.equal(await queue.next(), 4);
    assert.deepEqual(await queue.nextBatch(), [5]);
  });
});
