/**
 * Multi-byte characters split across tokens, on a real GGUF model run by the real engine:
 * the scripted fixture emits exactly the byte pieces below, then EOS.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Context, Model } from "../../src/index.ts";
import { makeScriptedModel } from "../fixtures/scriptedModel.ts";
import { collect, greedy } from "../helpers/demoModel.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const split = (text: string, ...cuts: number[]) => {
  const all = bytes(text);
  const edges = [0, ...cuts, all.length];
  return edges.slice(0, -1).map((start, index) => all.slice(start, edges[index + 1]));
};

// "Aé中😀 fin 🎉END!" with é as 2 tokens, 中 as 3, 😀 as 1+3, 🎉 as 2+2, and a stop
// string "🎉END" that begins in the middle of a character's tokens.
const pieces = [bytes("A"), ...split("é", 1), ...split("中", 1, 2), ...split("😀", 1), bytes(" fin "), ...split("🎉", 2), bytes("EN"), bytes("D!")];
const expected = "Aé中😀 fin 🎉END!";

let model: Model;
let context: Context;
before(async () => {
  model = await Model.load(await makeScriptedModel({ pieces, fileName: "utf8-split" }));
  context = await Context.create(model, { threads: 1, contextSize: 64 });
});
after(() => model.dispose());

test("every streamed piece is complete UTF-8, and together they are the text", async () => {
  const events = await collect(context.stream("hi", { ...greedy }));
  const result = await context.generate("hi", greedy);
  assert.equal(result.text, expected);
  assert.equal(result.stopReason, "eos");
  assert.equal(result.tokenCount, pieces.length);
  for (const event of events) {
    assert.ok(!event.text.includes("\uFFFD"), `broken piece ${JSON.stringify(event.text)}`);
    assert.ok(event.text.isWellFormed());
  }
  assert.equal(events.map((event) => event.text).join(""), expected);
  assert.deepEqual(
    events.map((event) => event.text),
    ["A", "é", "中", "😀", " fin ", "🎉", "EN", "D!"],
    "a character is released the moment its last byte arrives",
  );
  assert.deepEqual(events.map((event) => event.tokens.length), [1, 2, 3, 2, 1, 2, 1, 1]);
});

test("the callback API sees the same whole characters", async () => {
  const seen: string[] = [];
  const result = await context.generateStreaming("hi", 50, (text) => {
    seen.push(text);
  }, greedy);
  assert.equal(seen.join(""), result.text);
  assert.ok(seen.every((text) => !text.includes("\uFFFD")));
});

test("stopping mid-character never hands out half of it", async () => {
  // maxTokens cuts inside 中 (after its first byte): the flush at the end releases what is held.
  const cut = await context.generate("hi", { ...greedy, maxTokens: 4 });
  assert.equal(cut.stopReason, "maxTokens");
  assert.equal(cut.text, "Aé\uFFFD", "an incomplete character at the very end is flushed as U+FFFD, not dropped");
  const whole = await context.generate("hi", { ...greedy, maxTokens: 6 });
  assert.equal(whole.text, "Aé中");
});

test("a stop string made of multi-byte characters split across tokens is never emitted", async () => {
  const events = await collect(context.stream("hi", { ...greedy, stop: ["🎉END"] }));
  const text = events.map((event) => event.text).join("");
  assert.equal(text, "Aé中😀 fin ");
  const result = await context.generate("hi", { ...greedy, stop: ["😀 f"] });
  assert.equal(result.text, "Aé中");
  assert.equal(result.stopReason, "stop");
});
