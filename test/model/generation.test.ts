import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Context, Model } from "../../src/index.ts";
import { collect, greedy, loadDemo } from "../helpers/demoModel.ts";

let model: Model;
let context: Context;
before(async () => ({ model, context } = await loadDemo()));
after(() => model.dispose());

test("greedy output is the model's known continuation, with its leading space", async () => {
  const result = await context.generate("And God said", { ...greedy, maxTokens: 12 });
  assert.ok(result.text.startsWith(" unto him, I will not go up to the king"), JSON.stringify(result.text));
  assert.equal(result.tokenCount, 12);
  assert.equal(result.stopReason, "maxTokens");
});

test("the model's end-of-sequence token ends generation with stopReason eos", async () => {
  const result = await context.generate("In the beginning God created", { ...greedy, maxTokens: 100 });
  assert.equal(result.text, ", and I will not hearken unto the LORD.");
  assert.equal(result.stopReason, "eos");
  assert.ok(result.tokenCount < 100);
});

test("callback, iterator and generate give identical greedy text, and pieces concatenate to it", async () => {
  const pieces: string[] = [];
  const viaCallback = await context.generateStreaming("The LORD is my shepherd", 40, (text) => {
    pieces.push(text);
  }, greedy);
  const events = await collect(context.stream("The LORD is my shepherd", { ...greedy, maxTokens: 40 }));
  const viaGenerate = await context.generate("The LORD is my shepherd", { ...greedy, maxTokens: 40 });
  assert.equal(pieces.join(""), viaCallback.text);
  assert.equal(events.map((event) => event.text).join(""), viaCallback.text);
  assert.equal(viaGenerate.text, viaCallback.text);
  assert.equal(viaGenerate.tokenCount, viaCallback.tokenCount);
  assert.equal(events.reduce((sum, event) => sum + event.tokens.length, 0), viaCallback.tokenCount);
});

test("events carry ids, a running index and count, and growing elapsed time", async () => {
  const events = await collect(context.stream("And God said", { ...greedy, maxTokens: 20 }));
  events.forEach((event, index) => assert.equal(event.index, index));
  for (let index = 1; index < events.length; index++) {
    assert.ok(events[index]!.tokenCount > events[index - 1]!.tokenCount);
    assert.ok(events[index]!.elapsedMs >= events[index - 1]!.elapsedMs);
  }
  assert.equal(events.at(-1)!.tokenCount, 20);
  const ids = events.flatMap((event) => event.tokens);
  assert.equal(model.detokenize(ids), events.map((event) => event.text).join("").trimStart());
});

test("the same seed gives the same sampled text; another seed gives another", async () => {
  const options = { temperature: 1, topK: 0, topP: 1, minP: 0, maxTokens: 40 };
  const first = await context.generate("And God said", { ...options, seed: 1234 });
  const again = await context.generate("And God said", { ...options, seed: 1234 });
  assert.equal(again.text, first.text);
  assert.equal(first.seed, 1234);
  const texts = new Set<string>();
  for (const seed of [1, 2, 3]) texts.add((await context.generate("And God said", { ...options, seed })).text);
  assert.ok(texts.size > 1, "different seeds should not all give the same text");
});

test("a context seed is the default for every generation", async () => {
  const { model: seeded, context: seededContext } = await loadDemo({ seed: 99 });
  try {
    const options = { temperature: 1, topK: 0, topP: 1, minP: 0, maxTokens: 30 };
    const first = await seededContext.generate("And God said", options);
    const second = await seededContext.generate("And God said", options);
    assert.equal(first.seed, 99);
    assert.equal(second.text, first.text);
  } finally {
    await seeded.dispose();
  }
});

test("a repeat penalty changes greedy output that loops", async () => {
  const plain = await context.generate("And God said", { ...greedy, maxTokens: 40 });
  const penalized = await context.generate("And God said", { ...greedy, maxTokens: 40, repeatPenalty: 1.5 });
  assert.match(plain.text, /Babylon.*Babylon/);
  assert.notEqual(penalized.text, plain.text);
});

test("prompts given as token ids work like text", async () => {
  const tokens = model.tokenize("And God said", { addBos: true });
  assert.equal(tokens[0], model.bosToken);
  const fromTokens = await context.generate(tokens, { ...greedy, maxTokens: 10 });
  const fromText = await context.generate("And God said", { ...greedy, maxTokens: 10 });
  assert.equal(fromTokens.text, fromText.text);
});

test("model metadata comes from the file", () => {
  assert.equal(model.metadata.architecture, "llama");
  assert.equal(model.metadata.name, "kjv-tiny");
  assert.equal(model.metadata.trainContextSize, 256);
  assert.equal(model.metadata.vocabularySize, 1024);
  assert.equal(model.metadata.quantization, "Q8_0");
  assert.equal(model.metadata.chatTemplate, undefined);
  assert.ok(model.metadata.parameterCount > 1_900_000 && model.metadata.parameterCount < 2_000_000);
  assert.equal(context.contextSize, 256, "the default context is the training context when it is under 4096");
  assert.equal(context.batchSize, 256);
});

test("tokenize and detokenize round-trip", () => {
  const tokens = model.tokenize("In the beginning");
  assert.ok(tokens.length > 1);
  assert.equal(model.detokenize(tokens), "In the beginning");
});

test("timings are reported", async () => {
  const result = await context.generate("And God said", { ...greedy, maxTokens: 30 });
  assert.ok(result.timings.tokensPerSecond > 0);
  assert.ok(result.timings.timeToFirstTokenMs > 0);
  assert.ok(result.timings.totalMs >= result.timings.timeToFirstTokenMs);
  assert.equal(result.promptTokens, model.tokenize("And God said", { addBos: true }).length);
});
