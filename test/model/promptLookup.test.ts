/**
 * Prompt lookup on the real engine: the same greedy text with it on and off, on prompts
 * whose continuation repeats them (where predictions are made and checked) and on ones
 * where it does not; and predictions are really made and taken.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";
import { Context, InvalidArgumentError, Model, createServer, defaultModelPath } from "../../src/index.ts";
import { engineModelOf } from "../../src/model/Model.ts";

let model: Model;
before(async () => {
  model = await Model.load(defaultModelPath);
});
after(async () => {
  await model.dispose();
});

const passage = "And God said, Let there be light: and there was light. And God saw the light, that it was good: and God divided the light from the darkness.";
const prompts = [`${passage} ${passage} ${passage.slice(0, 40)}`, `${passage} And God said`, "In the beginning", "The LORD is my shepherd"];

/** The engine sequences a Context creates, to read their prediction counts. */
async function withSequences(create: () => Promise<Context>): Promise<{ context: Context; sequences: LlamaContextSequence[] }> {
  const engineModel = engineModelOf(model);
  const sequences: LlamaContextSequence[] = [];
  const createContext = engineModel.createContext.bind(engineModel);
  engineModel.createContext = async (options) => {
    const engineContext: LlamaContext = await createContext(options);
    const getSequence = engineContext.getSequence.bind(engineContext);
    engineContext.getSequence = (sequenceOptions) => {
      const sequence = getSequence(sequenceOptions);
      sequences.push(sequence);
      return sequence;
    };
    return engineContext;
  };
  try {
    return { context: await create(), sequences };
  } finally {
    engineModel.createContext = createContext;
  }
}

test("greedy output is the same with prompt lookup on and off, and predictions are taken", async () => {
  const { context: looking, sequences } = await withSequences(() => Context.create(model, { threads: 1, contextSize: 256, promptLookup: true }));
  await using plain = await Context.create(model, { threads: 1, contextSize: 256 });
  try {
    for (const prompt of prompts) {
      const expected = await plain.generate(prompt, { temperature: 0, maxTokens: 60 });
      const actual = await looking.generate(prompt, { temperature: 0, maxTokens: 60 });
      assert.equal(actual.text, expected.text, prompt);
      assert.equal(actual.tokenCount, expected.tokenCount);
      assert.equal(actual.stopReason, expected.stopReason);
    }
    const predictions = sequences[0]!.tokenPredictions;
    assert.ok(predictions.validated > 0, `no prediction was ever right: ${JSON.stringify(predictions)}`);
  } finally {
    await looking.dispose();
  }
});

test("stop strings and callbacks stop a looking-ahead generation where they stop a plain one", async () => {
  await using looking = await Context.create(model, { threads: 1, contextSize: 256, promptLookup: true });
  await using plain = await Context.create(model, { threads: 1, contextSize: 256 });
  const options = { temperature: 0, maxTokens: 60, stop: ["light"] } as const;
  assert.deepEqual((await looking.generate(prompts[0]!, options)).text, (await plain.generate(prompts[0]!, options)).text);
  const firstPieces = async (context: Context) => {
    const pieces: string[] = [];
    await context.generateStreaming(prompts[1]!, 60, (text) => pieces.push(text) < 5, { temperature: 0 });
    return pieces;
  };
  assert.deepEqual(await firstPieces(looking), await firstPieces(plain));
});

test("promptLookup must be a boolean", async () => {
  await assert.rejects(Context.create(model, { promptLookup: "yes" as unknown as boolean }), InvalidArgumentError);
});

test("a server with promptLookup answers OpenAI completions with the same text", async () => {
  const answer = async (promptLookup: boolean) => {
    const server = createServer({ model, modelName: "demo", port: 0, threads: 1, parallel: 1, contextSize: 256, promptLookup, logger: false });
    const { url } = await server.listen();
    try {
      const response = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "demo", prompt: prompts[0], max_tokens: 40, temperature: 0 }) });
      assert.equal(response.status, 200);
      return ((await response.json()) as { choices: { text: string }[] }).choices[0]!.text;
    } finally {
      await server.close();
    }
  };
  const plain = await answer(false);
  assert.ok(plain.length > 0);
  assert.equal(await answer(true), plain);
});
