/** When a queued decode is dispatched: at the end of the current microtasks while at most one sequence generates, else on the next turn. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { dispatchSchedule } from "../../src/engine/dispatchSchedule.ts";

/** The order in which a dispatch and work already waiting for the next turn (an I/O callback, a write) run. */
async function orderWith(generating: number): Promise<string[]> {
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    setImmediate(() => order.push("next turn"));
    dispatchSchedule({ generating: () => generating })(() => order.push("dispatch"));
    setImmediate(() => setImmediate(resolve));
  });
  return order;
}

test("with one sequence generating (or none), the decode goes out before anything the next turn holds", async () => {
  assert.deepEqual(await orderWith(1), ["dispatch", "next turn"]);
  assert.deepEqual(await orderWith(0), ["dispatch", "next turn"]);
});

test("with several generating, it waits for the next turn, so that sequences queued in this one share it", async () => {
  assert.deepEqual(await orderWith(2), ["next turn", "dispatch"]);
});
