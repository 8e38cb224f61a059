import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { bufferByCount, bufferByTime, bufferByWord, type TokenGroup } from "../../src/streaming/buffering.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import type { TokenEvent } from "../../src/generation/events.ts";

/** Token events for `texts`; event i carries the token ids [10 * i, 10 * i + 1] (two tokens each). */
function eventsOf(texts: string[]): TokenEvent[] {
  return texts.map((text, index) => ({ text, tokens: [10 * index, 10 * index + 1], index, tokenCount: 2 * (index + 1), elapsedMs: 5 * (index + 1) }));
}

/** Yields the events, pausing `pauses[i]` milliseconds before event i; records whether it was stopped. */
function source(events: TokenEvent[], pauses: number[] = []) {
  const state = { stopped: false, pulled: 0 };
  async function* generate(): AsyncGenerator<TokenEvent> {
    try {
      for (const [position, event] of events.entries()) {
        const pause = pauses[position] ?? 0;
        if (pause > 0) await sleep(pause);
        state.pulled++;
        yield event;
      }
    } finally {
      state.stopped = true;
    }
  }
  return { state, events: generate() };
}

async function collect(groups: AsyncIterable<TokenGroup>): Promise<TokenGroup[]> {
  const result: TokenGroup[] = [];
  for await (const group of groups) result.push(group);
  return result;
}

/** Nothing lost, nothing reordered, nothing duplicated. */
function assertLossless(groups: TokenGroup[], input: TokenEvent[]): void {
  assert.equal(groups.map((group) => group.text).join(""), input.map((event) => event.text).join(""));
  assert.deepEqual(
    groups.flatMap((group) => group.tokens),
    input.flatMap((event) => event.tokens),
  );
  assert.equal(
    groups.reduce((sum, group) => sum + group.eventCount, 0),
    input.length,
  );
  assert.deepEqual(
    groups.map((group) => group.index),
    groups.map((_, index) => index),
  );
}

const words = [" unto", " him", ",", " I", " will", " not", " go", " up", " Bab", "yl", "on", ".", "\n", "And"];

test("bufferByCount groups every `size` events and flushes the partial last group", async () => {
  const input = eventsOf(["a", "b", "c", "d", "e", "f", "g"]);
  const groups = await collect(bufferByCount(source(input).events, 3));
  assert.deepEqual(
    groups.map((group) => group.text),
    ["abc", "def", "g"],
  );
  assert.deepEqual(groups[0], { text: "abc", tokens: [0, 1, 10, 11, 20, 21], index: 0, tokenCount: 6, elapsedMs: 15, eventCount: 3 });
  assert.deepEqual(groups[2], { text: "g", tokens: [60, 61], index: 2, tokenCount: 14, elapsedMs: 35, eventCount: 1 });
  assertLossless(groups, input);
});

test("bufferByCount with an exact multiple yields no empty group, and an empty input yields nothing", async () => {
  const input = eventsOf(["a", "b", "c", "d"]);
  const groups = await collect(bufferByCount(source(input).events, 2));
  assert.deepEqual(
    groups.map((group) => group.text),
    ["ab", "cd"],
  );
  assert.deepEqual(await collect(bufferByCount(source([]).events, 2)), []);
});

test("bufferByCount validates its size", () => {
  for (const size of [0, -2, 2.5, Number.NaN]) {
    assert.throws(
      () => bufferByCount(source([]).events, size).next(),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === "size",
    );
  }
});

test("leaving a buffered loop early stops the source", async () => {
  const input = eventsOf(words);
  const { state, events } = source(input);
  for await (const group of bufferByCount(events, 2)) {
    assert.equal(group.text, " unto him");
    break;
  }
  assert.equal(state.stopped, true);
  assert.equal(state.pulled, 2);
});

test("bufferByWord yields whole words with their trailing punctuation", async () => {
  const input = eventsOf(words);
  const groups = await collect(bufferByWord(source(input).events));
  assert.deepEqual(
    groups.map((group) => group.text),
    [" unto", " him,", " I", " will", " not", " go", " up", " Babylon.", "\n", "And"],
  );
  assert.deepEqual(groups[7]?.tokens, [80, 81, 90, 91, 100, 101, 110, 111]);
  assertLossless(groups, input);
});

test("bufferByWord flushes after maxEvents when no boundary comes", async () => {
  const input = eventsOf(["起", "初", "神", "创", "造", "天", "地", "。"]);
  const groups = await collect(bufferByWord(source(input).events, { maxEvents: 3 }));
  assert.deepEqual(
    groups.map((group) => group.text),
    ["起初神", "创造天", "地。"],
  );
  assertLossless(groups, input);
  assert.throws(
    () => bufferByWord(source([]).events, { maxEvents: 0 }).next(),
    (error: unknown) => error instanceof InvalidArgumentError && error.argument === "options.maxEvents",
  );
});

test("bufferByTime flushes what arrived within each interval, and the rest at the end", async () => {
  // Two bursts separated by a long pause: each burst becomes one group, the pause yields nothing.
  const input = eventsOf(["a", "b", "c", "d", "e"]);
  const groups = await collect(bufferByTime(source(input, [0, 0, 0, 200, 0]).events, 40));
  assert.deepEqual(
    groups.map((group) => group.text),
    ["abc", "de"],
  );
  assertLossless(groups, input);
});

test("bufferByTime flushes on the timer while the source is still producing", async () => {
  // Events every 15 ms for 20 events against a 50 ms interval: several groups, each of several events.
  const input = eventsOf(Array.from({ length: 20 }, (_, index) => String.fromCharCode(97 + index)));
  const groups = await collect(bufferByTime(source(input, Array(20).fill(15)).events, 50));
  assertLossless(groups, input);
  assert.ok(groups.length >= 3 && groups.length <= 12, `${groups.length} groups`);
  assert.ok(
    groups.some((group) => group.eventCount >= 2),
    "some group merged events",
  );
});

test("bufferByTime stops the source and its timer when the consumer leaves", async () => {
  const input = eventsOf(["a", "b", "c", "d"]);
  const { state, events } = source(input, [0, 0, 100, 100]);
  const started = performance.now();
  for await (const group of bufferByTime(events, 30)) {
    assert.equal(group.text, "ab");
    break;
  }
  assert.equal(state.stopped, true);
  // The pull in flight ("c", 100 ms away) completes before the source can stop; "d" is never pulled.
  assert.equal(state.pulled, 3);
  assert.ok(performance.now() - started < 190, "did not wait for the rest of the source");
});

test("a source error arrives after the text generated before it, in every mode", async () => {
  async function* failing(): AsyncGenerator<TokenEvent> {
    yield* eventsOf(["a", " b", "c"]);
    throw new Error("engine fault");
  }
  const modes = {
    count: () => bufferByCount(failing(), 2),
    word: () => bufferByWord(failing()),
    time: () => bufferByTime(failing(), 1000),
  };
  const expected = { count: ["a b", "c"], word: ["a", " bc"], time: ["a bc"] };
  for (const [mode, buffered] of Object.entries(modes)) {
    const texts: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const group of buffered()) texts.push(group.text);
      })(),
      /engine fault/,
    );
    assert.deepEqual(texts, expected[mode as keyof typeof expected], mode);
  }
});

test("bufferByTime validates its interval", () => {
  assert.throws(
    () => bufferByTime(source([]).events, 0).next(),
    (error: unknown) => error instanceof InvalidArgumentError && error.argument === "intervalMs",
  );
});
