/** The registry's pure parts: keep_alive as Ollama reads it, and which idle models eviction picks. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseEvictions } from "../../src/server/models/eviction.js";
import { parseKeepAlive } from "../../src/server/models/keepAlive.js";

test("keep_alive: seconds, durations, 0 and negatives", () => {
  assert.equal(parseKeepAlive(0), 0);
  assert.equal(parseKeepAlive(30), 30_000);
  assert.equal(parseKeepAlive(-1), Infinity);
  assert.equal(parseKeepAlive("-1"), Infinity);
  assert.equal(parseKeepAlive("-1m"), Infinity);
  assert.equal(parseKeepAlive("5m"), 300_000);
  assert.equal(parseKeepAlive("1h30m"), 5_400_000);
  assert.equal(parseKeepAlive("250ms"), 250);
  assert.equal(parseKeepAlive("1.5s"), 1500);
  assert.equal(parseKeepAlive("300"), 300_000);
  for (const bad of ["", "5 minutes", "m", "5x", "--5m", "5m3"]) assert.equal(parseKeepAlive(bad), undefined, bad);
});

test("eviction takes idle models, least recently used first, and never a busy one", () => {
  const models = [
    { id: "old-busy", busy: true, lastUsedAt: 1, estimatedBytes: 100 },
    { id: "old", busy: false, lastUsedAt: 2, estimatedBytes: 10 },
    { id: "new", busy: false, lastUsedAt: 3, estimatedBytes: 50 },
  ];
  assert.deepEqual(chooseEvictions(models, { slots: 0, bytes: 0 }), []);
  assert.deepEqual(chooseEvictions(models, { slots: 1, bytes: 0 }), ["old"]);
  assert.deepEqual(chooseEvictions(models, { slots: 1, bytes: 40 }), ["old", "new"]);
  assert.equal(chooseEvictions(models, { slots: 3, bytes: 0 }), undefined, "the busy one stays");
  assert.equal(chooseEvictions(models, { slots: 0, bytes: 61 }), undefined, "not enough idle memory");
});
