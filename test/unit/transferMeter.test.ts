import { test } from "node:test";
import assert from "node:assert/strict";
import { TransferMeter, speedWindowMs } from "../../src/pull/transferMeter.ts";

test("speed and time left follow the recent window, not the whole transfer", () => {
  let now = 0;
  const meter = new TransferMeter(() => now);
  assert.equal(meter.bytesPerSecond, 0);
  assert.equal(meter.secondsLeft(1000), undefined);
  meter.record(0);
  now = 1000;
  meter.record(1000);
  assert.equal(meter.bytesPerSecond, 1000);
  assert.equal(meter.secondsLeft(5000), 4);
  // A stall, then a faster stretch: after the window has passed only the fast part counts.
  now += speedWindowMs + 1000;
  meter.record(1000);
  now += 1000;
  meter.record(11_000);
  assert.equal(meter.bytesPerSecond, 10_000);
  assert.equal(meter.secondsLeft(undefined), undefined);
  assert.equal(meter.secondsLeft(11_000), 0);
});
