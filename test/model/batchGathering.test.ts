/**
 * Batch gathering on the real engine: with several sequences generating at once, every
 * decode must carry one token of each (node-llama-cpp alone leaves the last-sampled
 * sequence out of the next decode), and the hook must still find the internals it needs.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { Model } from "../../src/index.ts";
import { installBatchGathering } from "../../src/engine/batchGathering.ts";
import { engineModelOf } from "../../src/model/Model.ts";
import { makeScriptedModel } from "../fixtures/scriptedModel.ts";

const sequences = 4;
/** Every stream generates the whole script (then EOS) after a lower-case prompt, so all four run in step. */
const pieces = Array.from({ length: 24 }, (_, index) => String.fromCharCode(65 + index));

let model: Model;
before(async () => {
  model = await Model.load(await makeScriptedModel({ pieces, fileName: "batch-gathering" }));
});
after(async () => {
  await model.dispose();
});

/** Records the token count of every decode of `engineContext`. */
function recordDecodeSizes(engineContext: LlamaContext): number[] {
  const native = (engineContext as unknown as { _ctx: { initBatch(tokens: number): unknown } })._ctx;
  const initBatch = native.initBatch.bind(native);
  const sizes: number[] = [];
  Object.defineProperty(native, "initBatch", { value: (tokens: number) => (sizes.push(tokens), initBatch(tokens)), configurable: true, writable: true });
  return sizes;
}

/** A consumer with some work per token (promise steps, as a detokenizer and an SSE write take). */
async function generate(sequence: LlamaContextSequence, prompt: Token[]): Promise<number> {
  let count = 0;
  for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
    if (model.metadata.vocabularySize <= token) throw new Error(`token ${token} out of range`);
    count++;
    for (let step = 0; step < 40; step++) await Promise.resolve();
  }
  return count;
}

async function decodeSizesOfFourStreams(gather: boolean): Promise<{ sizes: number[]; counts: number[] }> {
  const engineContext = await engineModelOf(model).createContext({ contextSize: 128, batchSize: 64, sequences, threads: 1, flashAttention: false });
  try {
    const all = Array.from({ length: sequences }, () => engineContext.getSequence());
    if (gather) assert.notEqual(installBatchGathering(engineContext, all, () => sequences), undefined, "the engine internals are still there");
    const sizes = recordDecodeSizes(engineContext);
    const prompt = model.tokenize("hi", { addBos: true }) as Token[];
    const counts = await Promise.all(all.map((sequence) => generate(sequence, prompt)));
    return { sizes, counts };
  } finally {
    await engineContext.dispose();
  }
}

test("with gathering, every decode after the prompts carries a token of each generating sequence", async () => {
  const { sizes, counts } = await decodeSizesOfFourStreams(true);
  assert.deepEqual(counts, [pieces.length, pieces.length, pieces.length, pieces.length]);
  // The first decode holds the prompts; each sequence's last token (EOS) ends it without another decode.
  const generationDecodes = sizes.slice(1);
  assert.ok(generationDecodes.length > 0);
  assert.deepEqual(generationDecodes, generationDecodes.map(() => sequences), `decode sizes: ${sizes.join(" ")}`);
});

test("without gathering, the same consumers miss decodes (what the hook fixes)", async () => {
  const { sizes, counts } = await decodeSizesOfFourStreams(false);
  assert.deepEqual(counts, [pieces.length, pieces.length, pieces.length, pieces.length]);
  assert.ok(sizes.slice(1).some((size) => size < sequences), `decode sizes: ${sizes.join(" ")}`);
});

test("a context's concurrent generations give the same text with gathering installed", async () => {
  await using context = await model.createContext({ sequences, contextSize: 128, threads: 1 });
  const texts = await Promise.all(Array.from({ length: sequences }, () => context.generate("hi", { temperature: 0, maxTokens: 40 })));
  for (const result of texts) assert.equal(result.text, pieces.join(""));
});

test("a new prompt on a reused sequence starts while other sequences generate, not after them", async () => {
  await using context = await model.createContext({ sequences: 3, contextSize: 128, threads: 1 });
  // Every sequence now holds "ab" and its answer; a different prompt must erase that first.
  await Promise.all([1, 2, 3].map(() => context.generate("ab", { temperature: 0, maxTokens: 2 })));
  let runningEnded = false;
  // Two generations on the empty sequences, so the dispatch loop gathers them decode after decode.
  const running = [context.stream("hi", { temperature: 0 }), context.stream("hj", { temperature: 0 })];
  const iterators = running.map((stream) => stream[Symbol.asyncIterator]());
  await Promise.all(iterators.map((iterator) => iterator.next()));
  const runningDone = Promise.all(
    iterators.map(async (iterator) => {
      while (!(await iterator.next()).done);
      runningEnded = true;
    }),
  );
  let endedBeforeFirstToken: boolean | undefined;
  const reused = context.stream("cd", { temperature: 0 });
  for await (const _event of reused) endedBeforeFirstToken ??= runningEnded;
  await runningDone;
  assert.equal(endedBeforeFirstToken, false, "the new generation's first token came only after a running generation ended");
  for (const stream of [...running, reused]) assert.equal((await stream.result).text, pieces.join(""));
});

test("every decode adds its sequences in rising order of sequence id (llama.cpp splits a batch wherever they are not)", async () => {
  const engineContext = await engineModelOf(model).createContext({ contextSize: 128, batchSize: 64, sequences, threads: 1, flashAttention: false });
  try {
    const all = Array.from({ length: sequences }, () => engineContext.getSequence());
    assert.notEqual(installBatchGathering(engineContext, all, () => sequences), undefined);
    const native = (engineContext as unknown as { _ctx: { initBatch(tokens: number): unknown; addToBatch(sequenceId: number, ...rest: unknown[]): unknown } })._ctx;
    const initBatch = native.initBatch.bind(native);
    const addToBatch = native.addToBatch.bind(native);
    const decodes: number[][] = [];
    Object.defineProperty(native, "initBatch", { value: (tokens: number) => (decodes.push([]), initBatch(tokens)), configurable: true, writable: true });
    Object.defineProperty(native, "addToBatch", { value: (sequenceId: number, ...rest: unknown[]) => (decodes.at(-1)!.push(sequenceId), addToBatch(sequenceId, ...rest)), configurable: true, writable: true });
    const prompt = model.tokenize("hi", { addBos: true }) as Token[];
    // Started last sequence first: without the ordering, tokens would be queued 3, 2, 1, 0.
    await Promise.all([...all].reverse().map((sequence) => generate(sequence, prompt)));
    assert.ok(decodes.length > pieces.length);
    for (const order of decodes) assert.deepEqual(order, [...order].sort((a, b) => a - b), `a decode added sequences ${order.join(", ")}`);
    assert.ok(decodes.some((order) => order.length === sequences));
  } finally {
    await engineContext.dispose();
  }
});

