/**
 * The short version of `npm run stress`: a real `mullama serve` process on loopback, 64
 * mixed-protocol clients at once, a hang-up storm, slow and silent readers, a few seconds
 * of soak. It asserts behaviour only (no timing): nothing failed or hung, every greedy
 * text equals the one served alone, 503s were clean, the server was idle after each
 * phase, and it shut down cleanly.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { problemsOf, quickProfile, runStress } from "../../bench/stress/suite.ts";

test("the server holds under concurrent clients, hang-ups, slow and silent readers and a soak", { timeout: 180_000 }, async () => {
  const figures = await runStress(quickProfile);
  assert.deepEqual(problemsOf(figures), []);
  const phase = (name: string) => figures.phases.find((candidate) => candidate.name === name)!;
  assert.equal(figures.phases.length, 5);
  for (const { name, idleMs } of figures.phases) assert.notEqual(idleMs, undefined, `${name}: back to idle`);

  const concurrent = phase("concurrent clients");
  assert.equal(concurrent.completed, quickProfile.clients);
  // Equal, but for near-ties of batched arithmetic (bench/stress/nearTie.ts); any other difference is among the problems.
  assert.equal(concurrent.equal + concurrent.nearTies.length, quickProfile.clients);
  assert.ok(concurrent.busy > 0, "more clients than sequences plus queue: some were refused");
  assert.ok(concurrent.busyWithRetryAfter > 0);

  const storm = phase("hang-up storm");
  for (const [point, count] of Object.entries(storm.hangUpPoints)) if (point !== "after silence") assert.ok(count > 0, `hang-ups ${point}: ${count}`);
  assert.ok(storm.equal > 0 && storm.unequal === 0, "the well-behaved clients in the storm got their texts");

  const readers = phase("slow and silent readers");
  assert.equal(readers.hangUpPoints["after silence"], quickProfile.silentReaders / 2);
  assert.ok(readers.silentReaderBytes > 0, "silent readers read their whole answers once they began");
  assert.equal(readers.unequal, 0);

  const soak = phase("soak");
  assert.ok(soak.completed > 0 && soak.unequal === 0);
  assert.equal(figures.exitCode, 0);
});
