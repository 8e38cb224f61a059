/** The sequence pool on fake sequences: prefix-aware leasing, consecutive ids, the waiting line, refusals, aborts and closing. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LlamaContextSequence } from "node-llama-cpp";
import { consecutiveLeaseWorth, runsAdded, SequencePool } from "../../src/context/sequencePool.ts";
import { DisposedError, SequenceUnavailableError } from "../../src/errors.ts";

/** A stand-in for an engine sequence: the pool only reads what it holds. */
function sequence(name: string, contextTokens: number[] = []): LlamaContextSequence {
  return { name, contextTokens } as unknown as LlamaContextSequence;
}
const nameOf = (leased: { sequence: LlamaContextSequence }) => (leased.sequence as unknown as { name: string }).name;

test("a prompt gets the free sequence holding the longest prefix of it; ties go to the one holding least", async () => {
  const pool = new SequencePool([sequence("empty"), sequence("chat", [1, 2, 3, 4, 5]), sequence("short", [1, 2]), sequence("other", [9, 9])]);
  const first = await pool.acquire([1, 2, 3, 7], { wait: true });
  assert.equal(nameOf(first), "chat");
  const second = await pool.acquire([1, 2, 8], { wait: true });
  assert.equal(nameOf(second), "short");
  const third = await pool.acquire([5], { wait: true });
  assert.equal(nameOf(third), "empty", "no prefix anywhere: the emptiest sequence, keeping longer caches");
  assert.equal(pool.busy, 3);
  first.release();
  first.release();
  assert.equal(pool.busy, 2, "releasing twice frees once");
});

test("unrelated prompts get consecutive sequences, even where a sequence further on holds less", async () => {
  // Sequences are ids 0-5 in order; the even ones hold nothing, the odd ones a short cache.
  const pool = new SequencePool(Array.from({ length: 6 }, (_, id) => sequence(`s${id}`, id % 2 === 0 ? [] : [50 + id, 50 + id])));
  const leases = [await pool.acquire([1], { wait: true }), await pool.acquire([2], { wait: true }), await pool.acquire([3], { wait: true })];
  // By emptiness alone they would be s0, s2 and s4: three micro-batches in every decode.
  assert.deepEqual(leases.map(nameOf), ["s0", "s1", "s2"]);
  leases[1]!.release();
  assert.equal(nameOf(await pool.acquire([4], { wait: true })), "s1", "the lease that joins the two runs again");
});

test("a cached prefix longer than consecutiveLeaseWorth still wins over a consecutive sequence; a shorter one does not", async () => {
  const long = Array.from({ length: consecutiveLeaseWorth + 8 }, (_, index) => 100 + index);
  const pool = new SequencePool([sequence("s0"), sequence("s1"), sequence("s2"), sequence("s3", long)]);
  const first = await pool.acquire([1], { wait: true });
  assert.equal(nameOf(first), "s0");
  assert.equal(nameOf(await pool.acquire([...long.slice(0, 10), 7], { wait: true })), "s1", "10 cached tokens are not worth a micro-batch more");
  assert.equal(nameOf(await pool.acquire([...long, 7], { wait: true })), "s3", "the whole long prompt is");
});

test("runsAdded: apart from the busy ids, next to a run, joining two, or nothing busy", () => {
  assert.equal(runsAdded(new Set([0, 1]), 5), 1);
  assert.equal(runsAdded(new Set([0, 1]), 2), 0);
  assert.equal(runsAdded(new Set([3]), 2), 0);
  assert.equal(runsAdded(new Set([0, 2]), 1), -1);
  assert.equal(runsAdded(new Set(), 4), 0);
});

test("when none is free: wait in line in order, or refuse at once with wait: false", async () => {
  const pool = new SequencePool([sequence("only")]);
  const holder = await pool.acquire([1], { wait: true });
  assert.equal(pool.hasFreeSequence, false);
  await assert.rejects(pool.acquire([1], { wait: false }), SequenceUnavailableError);
  const order: string[] = [];
  const first = pool.acquire([1], { wait: true }).then((lease) => (order.push("first"), lease));
  const second = pool.acquire([1], { wait: true }).then((lease) => (order.push("second"), lease));
  assert.equal(pool.waiting, 2);
  holder.release();
  (await first).release();
  (await second).release();
  assert.deepEqual(order, ["first", "second"]);
  assert.equal(pool.busy, 0);
});

test("an abort while waiting leaves the line with the signal's reason; an aborted signal is refused at once", async () => {
  const pool = new SequencePool([sequence("only")]);
  const holder = await pool.acquire([1], { wait: true });
  const controller = new AbortController();
  const waiting = pool.acquire([1], { wait: true, signal: controller.signal });
  controller.abort(new Error("client gone"));
  await assert.rejects(waiting, /client gone/);
  assert.equal(pool.waiting, 0);
  await assert.rejects(pool.acquire([1], { wait: true, signal: controller.signal }), /client gone/);
  holder.release();
  assert.equal(pool.busy, 0, "nobody was handed the sequence");
});

test("closing rejects everyone in line and every later acquire with DisposedError; leased sequences come back as usual", async () => {
  const pool = new SequencePool([sequence("only")]);
  const holder = await pool.acquire([1], { wait: true });
  const waiting = pool.acquire([1], { wait: true });
  pool.close();
  await assert.rejects(waiting, DisposedError);
  await assert.rejects(pool.acquire([1], { wait: true }), DisposedError);
  holder.release();
  assert.equal(pool.busy, 0);
  assert.equal(pool.hasFreeSequence, false);
});
