import { test } from "node:test";
import assert from "node:assert/strict";
import { describeProgress } from "../../src/cli/pullReporter.ts";
import { formatAge, formatBytes, formatCount, formatDuration } from "../../src/cli/format.ts";

test("the progress line shows the file, a bar, the percentage, bytes, speed and time left", () => {
  const line = describeProgress({ status: "downloading", name: "n", file: "model.gguf", completedBytes: 1_050_000, totalBytes: 2_100_000, bytesPerSecond: 3_400_000, secondsLeft: 95 }, 100);
  assert.equal(line, `model.gguf  [${"#".repeat(19)}${"-".repeat(19)}]  50%  1.1 MB / 2.1 MB  3.4 MB/s  1m35s left`);
  const unknownSize = describeProgress({ status: "downloading", name: "n", file: "model.gguf", completedBytes: 999, totalBytes: undefined, bytesPerSecond: 0, secondsLeft: undefined }, 100);
  assert.equal(unknownSize, "model.gguf  999 B");
  const narrow = describeProgress({ status: "downloading", name: "n", file: "model.gguf", completedBytes: 1, totalBytes: 2, bytesPerSecond: 1, secondsLeft: 1 }, 40);
  assert.ok(narrow!.length <= 39);
});

test("each step has a line of its own; success is left to the command", () => {
  assert.equal(describeProgress({ status: "resolved", name: "hf.co/u/r:Q4_K_M", files: ["a.gguf"], note: "took Q4_K_M" }, 80), "pulling hf.co/u/r:Q4_K_M (a.gguf)\n  took Q4_K_M");
  assert.equal(describeProgress({ status: "waiting", name: "x", ownerPid: 42 }, 80), "waiting for another pull of x (process 42) to finish");
  assert.equal(describeProgress({ status: "resuming", name: "x", file: "a.gguf", fromBytes: 1_500_000 }, 80), "resuming a.gguf from 1.5 MB");
  assert.equal(describeProgress({ status: "up-to-date", name: "x" }, 80), "x is up to date");
});

test("sizes, durations, counts and ages read as people write them", () => {
  assert.deepEqual([formatBytes(0), formatBytes(999), formatBytes(2_120_704), formatBytes(4_920_000_000), formatBytes(12_500_000)], ["0 B", "999 B", "2.1 MB", "4.9 GB", "13 MB"]);
  assert.deepEqual([formatDuration(0.4), formatDuration(59), formatDuration(95), formatDuration(3720)], ["0s", "59s", "1m35s", "1h02m"]);
  assert.deepEqual([formatCount(950), formatCount(2_031_616), formatCount(7_615_616_512)], ["950", "2.0M", "7.6B"]);
  const now = new Date("2025-01-10T12:00:00Z");
  assert.deepEqual([formatAge(new Date("2025-01-10T11:59:30Z"), now), formatAge(new Date("2025-01-10T11:55:00Z"), now), formatAge(new Date("2025-01-08T12:00:00Z"), now)], ["just now", "5 minutes ago", "2 days ago"]);
});
