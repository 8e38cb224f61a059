/** The benchmark's own arithmetic: a wrong median or a biased order would misreport every row. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { freshPrompt } from "../../bench/prompts.ts";
import { formatSpread, interleaved, pairedRatios, spread } from "../../bench/stats.ts";

test("spread gives min, median and max, averaging the middle pair of an even count", () => {
  assert.deepEqual(spread([3, 1, 2]), { min: 1, median: 2, max: 3 });
  assert.deepEqual(spread([4, 1, 3, 2]), { min: 1, median: 2.5, max: 4 });
  assert.ok(Number.isNaN(spread([]).median));
  assert.equal(formatSpread(spread([])), "n/a");
});

test("ratios pair repeat i with repeat i, not medians with medians", () => {
  // Drift: both sides slow down together; per-pair ratios stay exactly 0.5.
  assert.deepEqual(pairedRatios([50, 25, 10], [100, 50, 20]), { min: 0.5, median: 0.5, max: 0.5 });
});

test("formatSpread picks a precision that suits the magnitude", () => {
  assert.equal(formatSpread({ min: 1200.4, median: 1234.5, max: 1300 }), "1235 (1200-1300)");
  assert.equal(formatSpread({ min: 12.34, median: 12.35, max: 12.4 }), "12.3 (12.3-12.4)");
  assert.equal(formatSpread({ min: 0.97, median: 0.984, max: 1.01 }, 3), "0.984 (0.970-1.010)");
});

test("interleaved alternates which side goes first", async () => {
  const order: string[] = [];
  const results = await interleaved(4, {
    raw: async () => (order.push("raw"), 1),
    ours: async () => (order.push("ours"), 2),
  });
  assert.deepEqual(order, ["raw", "ours", "ours", "raw", "raw", "ours", "ours", "raw"]);
  assert.deepEqual(results, { raw: [1, 1, 1, 1], ours: [2, 2, 2, 2] });
});

test("fresh prompts never share a first token with the previous prompt (no cached prefix)", () => {
  let previous = freshPrompt(16, 300);
  for (let index = 0; index < 200; index++) {
    const next = freshPrompt(16, 300);
    assert.equal(next.length, 16);
    assert.notEqual(next[0], previous[0]);
    assert.ok(next.every((token) => token >= 258 && token < 300));
    previous = next;
  }
});
