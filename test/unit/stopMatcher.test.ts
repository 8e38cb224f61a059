import { test } from "node:test";
import assert from "node:assert/strict";
import { StopMatcher } from "../../src/generation/stopMatcher.ts";

/** Feeds `text` cut at the given positions and returns what was emitted and the stop found. */
function run(stops: string[], pieces: string[]): { emitted: string[]; stop: string | undefined } {
  const matcher = new StopMatcher(stops);
  const emitted: string[] = [];
  for (const piece of pieces) {
    const match = matcher.push(piece);
    if (match.text !== "") emitted.push(match.text);
    if (match.stop !== undefined) return { emitted, stop: match.stop };
  }
  const tail = matcher.flush();
  if (tail !== "") emitted.push(tail);
  return { emitted, stop: undefined };
}

function splitsOf(text: string): string[][] {
  const result: string[][] = [];
  // Every way of cutting the text into two or three pieces, plus one character per piece.
  for (let first = 0; first <= text.length; first++) {
    for (let second = first; second <= text.length; second++) {
      result.push([text.slice(0, first), text.slice(first, second), text.slice(second)]);
    }
  }
  result.push([...text]);
  return result;
}

test("a stop string split at every position is caught and never emitted", () => {
  const text = "Hello world. THE END and more";
  for (const pieces of splitsOf(text)) {
    const { emitted, stop } = run(["THE END"], pieces);
    assert.equal(stop, "THE END", `pieces ${JSON.stringify(pieces)}`);
    assert.equal(emitted.join(""), "Hello world. ", `pieces ${JSON.stringify(pieces)}`);
  }
});

test("text that only looks like a stop prefix is released, not lost or duplicated", () => {
  const text = "THE ENTIRE THE EN";
  for (const pieces of splitsOf(text)) {
    const { emitted, stop } = run(["THE END"], pieces);
    assert.equal(stop, undefined);
    assert.equal(emitted.join(""), text, `pieces ${JSON.stringify(pieces)}`);
  }
});

test("held-back text is released the moment it cannot start a stop string", () => {
  const matcher = new StopMatcher(["\n\n"]);
  assert.deepEqual(matcher.push("line\n"), { text: "line" });
  assert.equal(matcher.pending, "\n");
  assert.deepEqual(matcher.push("next"), { text: "\nnext" });
  assert.equal(matcher.pending, "");
});

test("the earliest of several stop strings wins, whichever is listed first", () => {
  for (const pieces of splitsOf("abc STOP2 x STOP1")) {
    const { emitted, stop } = run(["STOP1", "STOP2"], pieces);
    assert.equal(stop, "STOP2");
    assert.equal(emitted.join(""), "abc ");
  }
});

test("overlapping stop strings: a longer candidate does not hide a shorter complete one", () => {
  const { emitted, stop } = run(["abcd", "bc"], ["a", "b", "c"]);
  assert.equal(stop, "bc");
  assert.equal(emitted.join(""), "a");
});

test("multi-byte characters and emoji in stop strings", () => {
  for (const pieces of splitsOf("Ünïcødé 😀 fin")) {
    const { emitted, stop } = run(["😀 f"], pieces.filter((piece) => piece.isWellFormed()));
    if (stop === undefined) continue; // a split inside the surrogate pair is not a valid piece
    assert.equal(emitted.join(""), "Ünïcødé ");
  }
});

test("with no stop strings everything passes straight through", () => {
  const matcher = new StopMatcher([]);
  assert.deepEqual(matcher.push("abc"), { text: "abc" });
  assert.equal(matcher.flush(), "");
});
