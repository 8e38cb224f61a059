/**
 * The benchmark's random-weight model writer: the engine loads what it writes, the
 * vocabulary is realistic and every token text unique (llama.cpp aborts on duplicates),
 * and greedy generation always runs to the requested length (EOS is unreachable), which
 * is what makes the two sides of a speed comparison generate the same number of tokens.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Token } from "node-llama-cpp";
import { Context, Model } from "../../src/index.ts";
import { engineModelOf } from "../../src/model/Model.ts";
import {
  makeRandomModel,
  parameterCount,
  randomModelEosTokenId,
  randomModelShapes,
  randomVocabulary,
  type RandomModelShape,
} from "../../scripts/gguf/makeRandomModel.ts";

/** Small enough to write in well under a second, shaped like the real ones (GQA, untied output). */
const tinyShape: RandomModelShape = { name: "test-tiny", vocabularySize: 1024, width: 128, blocks: 2, heads: 4, kvHeads: 2, feedForward: 256, contextLength: 256, type: "Q8_0" };

describe("the random vocabulary", () => {
  test("has the requested size, byte tokens first, and no two equal texts", () => {
    const texts = randomVocabulary(32_000);
    assert.equal(texts.length, 32_000);
    assert.equal(new Set(texts).size, texts.length);
    assert.equal(texts[0x41], "A");
    assert.equal(texts[0x20], "Ġ", "a space is spelled in GPT-2's byte alphabet");
    assert.equal(texts[randomModelEosTokenId], "<|endoftext|>");
  });
});

describe("the benchmark shapes", () => {
  test("have the parameter counts their names say", () => {
    assert.equal(Math.round(parameterCount(randomModelShapes["llama-134m-q8_0"]) / 1e6), 134);
    assert.equal(Math.round(parameterCount(randomModelShapes["llama-487m-q4_0"]) / 1e6), 487);
    assert.equal(Math.round(parameterCount(randomModelShapes["llama-487m-q8_0"]) / 1e6), 487);
  });
});

describe("a written random model", () => {
  let directory: string;
  let path: string;
  let model: Model;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "mullama-random-model-"));
    path = await makeRandomModel(tinyShape, directory);
    model = await Model.load(path);
  });
  after(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  test("loads with the shape it was written with", () => {
    assert.equal(model.metadata.architecture, "llama");
    assert.equal(model.metadata.vocabularySize, tinyShape.vocabularySize);
    assert.equal(model.metadata.parameterCount, parameterCount(tinyShape));
    assert.equal(model.metadata.quantization, "Q8_0");
  });

  test("is reused, not rewritten, for the same shape", async () => {
    const before = (await stat(path)).mtimeMs;
    assert.equal(await makeRandomModel(tinyShape, directory), path);
    assert.equal((await stat(path)).mtimeMs, before);
    assert.notEqual(await makeRandomModel({ ...tinyShape, blocks: 1 }, directory), path, "another shape gets another file");
  });

  test("generates exactly the requested tokens under greedy sampling, from any prompt", async () => {
    await using context = await Context.create(model, { threads: 1, contextSize: 256 });
    for (const prompt of [[300, 301, 302], [5], [1000, 7, 900, 33]]) {
      const result = await context.generate(prompt, { maxTokens: 64, temperature: 0 });
      assert.equal(result.stopReason, "maxTokens", `prompt ${prompt.join(",")}`);
      assert.equal(result.tokenCount, 64);
    }
  });

  test("never gives EOS the top logit: the raw engine agrees", async () => {
    const engineContext = await engineModelOf(model).createContext({ contextSize: 256, batchSize: 64, sequences: 1, threads: 1, flashAttention: false });
    try {
      const generated: number[] = [];
      for await (const token of engineContext.getSequence().evaluate([400, 401] as Token[], { temperature: 0, yieldEogToken: true })) {
        generated.push(token);
        if (generated.length === 100) break;
      }
      assert.equal(generated.length, 100);
      assert.ok(!generated.includes(randomModelEosTokenId));
    } finally {
      await engineContext.dispose();
    }
  });
});
