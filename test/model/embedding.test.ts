/** Embeddings on the demo model (a Llama decoder: last-token pooling) through the real engine. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { AbortedError, ContextOverflowError, DisposedError, InvalidArgumentError, Model, TokenizationError, defaultModelPath } from "../../src/index.ts";

let model: Model;
before(async () => (model = await Model.load(defaultModelPath)));
after(() => model.dispose());

const norm = (vector: readonly number[]) => Math.hypot(...vector);
const dot = (first: readonly number[], second: readonly number[]) => first.reduce((sum, value, index) => sum + value * second[index]!, 0);

test("one unit-length vector per input, the same every time, in the input's order", async () => {
  await using context = await model.createEmbeddingContext({ threads: 1 });
  assert.equal(context.dimensions, 192);
  assert.equal(context.contextSize, 256);
  const texts = ["In the beginning God created the heaven", "And the LORD spake unto Moses", "In the beginning God created the heaven and the earth"];
  const batch = await context.embed(texts);
  assert.equal(batch.length, 3);
  for (const vector of batch) {
    assert.equal(vector.length, 192);
    assert.ok(Math.abs(norm(vector) - 1) < 1e-12, `norm ${norm(vector)}`);
  }
  // One at a time, and in a fresh context: bit for bit the same.
  for (const [index, text] of texts.entries()) assert.deepEqual(await context.embed(text), batch[index]);
  await using fresh = await model.createEmbeddingContext({ threads: 1 });
  assert.deepEqual(await fresh.embed(texts), batch);
  // Unit vectors: the dot product is the cosine; different texts are not the same vector.
  assert.ok(dot(batch[0]!, batch[1]!) < 0.999);
  assert.ok(Math.abs(dot(batch[0]!, batch[0]!) - 1) < 1e-12);
  // Token ids embed as the text they come from.
  assert.deepEqual(await context.embed(model.tokenize(texts[1]!)), batch[1]);
  assert.deepEqual(await context.embed([texts[0]!, model.tokenize(texts[1]!)]), batch.slice(0, 2));
});

test("model.embed keeps an embedding context of its own and agrees with a created one", async () => {
  await using context = await model.createEmbeddingContext({ threads: 1 });
  const [first, second] = await Promise.all([model.embed("And God said"), model.embed(["And God said", "Let there be light"])]);
  assert.deepEqual(first, await context.embed("And God said"));
  assert.deepEqual(second[0], first);
  assert.equal(second.length, 2);
});

test("bad inputs fail before anything is evaluated, naming the input", async () => {
  await using context = await model.createEmbeddingContext({ threads: 1, contextSize: 16 });
  const invalid = (argument: string) => (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument;
  await assert.rejects(context.embed(""), invalid("input"));
  await assert.rejects(context.embed([]), invalid("input"));
  await assert.rejects(context.embed(["fine", ""]), invalid("input[1]"));
  await assert.rejects(context.embed([["x"] as never]), (error: unknown) => error instanceof TokenizationError && /input\[0\]\[0\] = x is not a token id/.test(error.message));
  await assert.rejects(context.embed([{} as never]), invalid("input[0]"));
  await assert.rejects(context.embed([5, 1_000_000]), (error: unknown) => error instanceof TokenizationError && /input\[1\] = 1000000 is not a token id/.test(error.message));
  const long = "And God said, Let there be light: and there was light.";
  assert.ok(context.countTokens(long) > 15);
  await assert.rejects(context.embed(["short", long]), (error: unknown) =>
    error instanceof ContextOverflowError && error.code === "CONTEXT_OVERFLOW" && error.contextSize === 16 && /The input\[1\] is \d+ tokens long; the embedding context holds at most 15/.test(error.message));
  await assert.rejects(context.embed("x", { signal: AbortSignal.abort() }), AbortedError);
  await assert.rejects(model.createEmbeddingContext({ contextSize: 0 }), invalid("params.contextSize"));
  await assert.rejects(context.embed("x", { colour: 1 } as never), invalid("options"));
});

test("disposal: a disposed context refuses; disposing the model disposes its embedding contexts", async () => {
  const own = await Model.load(defaultModelPath);
  const context = await own.createEmbeddingContext({ threads: 1 });
  await own.embed("warm");
  await own.dispose();
  assert.equal(context.disposed, true);
  await assert.rejects(context.embed("x"), DisposedError);
  await assert.rejects(own.embed("x"), DisposedError);
});
