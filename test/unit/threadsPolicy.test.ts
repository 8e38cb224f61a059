import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, test } from "node:test";
import { coresBusyElsewhere, freeCoresNow, threadsForBatch } from "../../src/engine/threadPolicy.ts";
import { adaptiveManyTokensFrom, adaptiveThreadSettings, defaultThreadCount, defaultThreadSetting, engineThreadOptions } from "../../src/engine/threads.ts";

describe("the fixed thread count", () => {
  test("is half the logical cores, 1 to 8", () => {
    const table = [[1, 1], [2, 1], [3, 1], [4, 2], [8, 4], [12, 6], [16, 8], [64, 8]] as const;
    for (const [cores, threads] of table) assert.equal(defaultThreadCount(cores), threads, `${cores} cores`);
  });
});

describe("the adaptive policy's settings", () => {
  test("few-token decodes get every math core up to 8, many-token decodes every math core up to 16", () => {
    assert.deepEqual(adaptiveThreadSettings(2, 2), { fewTokenThreads: 2, manyTokenThreads: 2, manyTokensFrom: adaptiveManyTokensFrom });
    assert.deepEqual(adaptiveThreadSettings(4, 8), { fewTokenThreads: 4, manyTokenThreads: 4, manyTokensFrom: adaptiveManyTokensFrom });
    assert.deepEqual(adaptiveThreadSettings(32, 64), { fewTokenThreads: 8, manyTokenThreads: 16, manyTokensFrom: adaptiveManyTokensFrom });
    // An engine that counts more math cores than the process may use is capped by the latter.
    assert.equal(adaptiveThreadSettings(8, 2).manyTokenThreads, 2);
    assert.equal(adaptiveThreadSettings(8, 2).fewTokenThreads, 2);
    assert.equal(adaptiveThreadSettings(1, 1).manyTokenThreads, 1);
  });

  test("adaptive is the default, and starts the engine context at the fixed count (kept should the policy not install)", () => {
    assert.equal(defaultThreadSetting(), "adaptive");
    const options = engineThreadOptions("adaptive", 2, 2);
    assert.equal(options.threads, defaultThreadCount(2));
    assert.equal(options.adaptive!.fewTokenThreads, 2);
    assert.deepEqual(engineThreadOptions(3, 2), { threads: 3 });
  });
});

describe("threads for one decode", () => {
  const settings = { fewTokenThreads: 1, manyTokenThreads: 2, manyTokensFrom: 4 };

  test("follow the number of tokens in the decode", () => {
    assert.equal(threadsForBatch(1, settings, 2), 1, "one sequence generating");
    assert.equal(threadsForBatch(3, settings, 2), 1, "three sequences generating");
    assert.equal(threadsForBatch(4, settings, 2), 2, "four sequences generating");
    assert.equal(threadsForBatch(512, settings, 2), 2, "a prompt chunk");
  });

  test("never exceed the free cores, and are at least 1", () => {
    const wide = { fewTokenThreads: 4, manyTokenThreads: 8, manyTokensFrom: 4 };
    assert.equal(threadsForBatch(512, wide, 8), 8);
    assert.equal(threadsForBatch(512, wide, 5), 5);
    assert.equal(threadsForBatch(1, wide, 3), 3);
    assert.equal(threadsForBatch(512, wide, 0), 1, "a saturated machine still gets one thread");
    assert.equal(threadsForBatch(512, wide, -3), 1);
    assert.equal(threadsForBatch(512, settings, 1.7), 1, "a fraction of a core is not a core");
  });
});

describe("cores busy in other processes", () => {
  test("are the machine's busy time minus this process's, per wall time, in whole cores", () => {
    assert.equal(coresBusyElsewhere(400, 400, 1000), 0, "only this process");
    assert.equal(coresBusyElsewhere(1400, 400, 1000), 1, "one spinning neighbour");
    assert.equal(coresBusyElsewhere(1300, 600, 1000), 1, "a neighbour squeezed by our own threads still counts");
    assert.equal(coresBusyElsewhere(1200, 1000, 1000), 0, "background noise is not a core");
    assert.equal(coresBusyElsewhere(2000, 0, 1000), 2);
    assert.equal(coresBusyElsewhere(300, 400, 1000), 0, "counter granularity never makes it negative");
    assert.equal(coresBusyElsewhere(500, 0, 0), 0, "no time passed");
  });

  test("the live estimate is a whole number of free cores within the machine's", () => {
    const free = freeCoresNow();
    assert.ok(Number.isInteger(free) && free <= availableParallelism(), `free cores: ${free}`);
  });
});
