import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgressTracker, trackProgress, withProgress, type ProgressReport } from "../../src/streaming/progress.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import type { TokenEvent } from "../../src/generation/events.ts";

/** One event per entry of `tokenCounts`, 20 ms apart. */
function eventsWithCounts(tokenCounts: number[]): TokenEvent[] {
  return tokenCounts.map((tokenCount, index) => ({ text: `<${index}>`, tokens: [index], index, tokenCount, elapsedMs: 20 * (index + 1) }));
}

async function* iterate<T>(values: T[]): AsyncGenerator<T> {
  yield* values;
}

test("the tracker reports at every multiple of `every`, with tokens per second from the event's clock", () => {
  const tracker = new ProgressTracker(3);
  const reports = eventsWithCounts([1, 2, 3, 4, 5, 6, 7]).map((event) => tracker.update(event));
  assert.deepEqual(reports, [
    undefined,
    undefined,
    { tokenCount: 3, tokensPerSecond: 50, elapsedMs: 60 },
    undefined,
    undefined,
    { tokenCount: 6, tokensPerSecond: 50, elapsedMs: 120 },
    undefined,
  ]);
});

test("a token count that jumps over a multiple reports once, at the event that crossed it", () => {
  const tracker = new ProgressTracker(3);
  const counts = eventsWithCounts([2, 4, 5, 7, 8, 13]).map((event) => tracker.update(event)?.tokenCount);
  assert.deepEqual(counts, [undefined, 4, undefined, 7, undefined, 13]);
});

test("a zero elapsed time gives 0 tokens per second, not Infinity", () => {
  const report = new ProgressTracker(1).update({ text: "x", tokens: [1], index: 0, tokenCount: 1, elapsedMs: 0 });
  assert.deepEqual(report, { tokenCount: 1, tokensPerSecond: 0, elapsedMs: 0 });
});

test("every defaults to 50 and must be a positive integer", () => {
  assert.equal(new ProgressTracker().every, 50);
  for (const every of [0, -1, 2.5, Number.NaN]) {
    assert.throws(
      () => new ProgressTracker(every),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === "every",
    );
  }
});

test("trackProgress passes every event through unchanged and reports before the event that completed it", async () => {
  const input = eventsWithCounts([1, 2, 3, 4, 5]);
  const log: string[] = [];
  for await (const event of trackProgress(iterate(input), { every: 2, onProgress: (report) => log.push(`report ${report.tokenCount}`) })) {
    assert.equal(event, input[event.index], "the same object, in order");
    log.push(event.text);
  }
  assert.deepEqual(log, ["<0>", "report 2", "<1>", "<2>", "report 4", "<3>", "<4>"]);
});

test("withProgress wraps a callback: same arguments, same verdict, reports every N tokens", async () => {
  const reports: ProgressReport[] = [];
  const seen: string[] = [];
  const onToken = withProgress(
    (text: string, event: TokenEvent) => {
      seen.push(`${text}@${event.tokenCount}`);
      return event.tokenCount < 4;
    },
    { every: 2, onProgress: (report) => reports.push(report) },
  );
  const verdicts = eventsWithCounts([1, 2, 3, 4]).map((event) => onToken(event.text, event));
  assert.deepEqual(verdicts, [true, true, true, false]);
  assert.deepEqual(seen, ["<0>@1", "<1>@2", "<2>@3", "<3>@4"]);
  assert.deepEqual(
    reports.map((report) => report.tokenCount),
    [2, 4],
  );
});

test("progress options are validated when the helper is called", () => {
  const callback = () => true;
  assert.throws(
    () => withProgress(callback, { every: 0, onProgress: () => {} }),
    (error: unknown) => error instanceof InvalidArgumentError && error.argument === "options.every",
  );
  assert.throws(
    () => withProgress(callback, {} as never),
    (error: unknown) => error instanceof InvalidArgumentError && error.argument === "options.onProgress",
  );
  assert.throws(
    () => trackProgress(iterate([]), { onProgress: () => {}, everyTokens: 3 } as never),
    (error: unknown) => error instanceof InvalidArgumentError && /unknown option/.test(error.message),
  );
});
