/**
 * The adaptive thread policy on the real engine: it must still find the internals it
 * hooks in the installed node-llama-cpp, pick the expected count for each decode, and
 * change nothing about what is generated.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { LlamaContext, Token } from "node-llama-cpp";
import { Context, InvalidArgumentError, Model, defaultModelPath } from "../../src/index.ts";
import { installAdaptiveThreads } from "../../src/engine/threadPolicy.ts";
import { engineModelOf } from "../../src/model/Model.ts";

let model: Model;
before(async () => {
  model = await Model.load(defaultModelPath);
});
after(async () => {
  await model.dispose();
});

test("the policy installs on the installed engine and follows each decode's size", async () => {
  const engineContext: LlamaContext = await engineModelOf(model).createContext({ contextSize: 128, batchSize: 64, sequences: 1, threads: 1, flashAttention: false });
  try {
    // A fixed answer for the free cores: the choice must not depend on this machine's load.
    assert.equal(installAdaptiveThreads(engineContext, { fewTokenThreads: 1, manyTokenThreads: 2, manyTokensFrom: 4 }, () => 8), true);
    const sequence = engineContext.getSequence();
    await sequence.evaluateWithoutGeneratingNewTokens(model.tokenize("And God said unto", { addBos: true }) as Token[]);
    assert.equal(engineContext.currentThreads, 2, "a prompt of several tokens gets the many-token count");
    await sequence.evaluateWithoutGeneratingNewTokens(model.tokenize(" Moses", { addBos: false }).slice(0, 1) as Token[]);
    assert.equal(engineContext.currentThreads, 1, "a single token gets the few-token count");
  } finally {
    await engineContext.dispose();
  }
});

test("with no free core the policy still decodes, on one thread", async () => {
  const engineContext = await engineModelOf(model).createContext({ contextSize: 128, batchSize: 64, sequences: 1, threads: 1, flashAttention: false });
  try {
    installAdaptiveThreads(engineContext, { fewTokenThreads: 1, manyTokenThreads: 2, manyTokensFrom: 4 }, () => 0);
    await engineContext.getSequence().evaluateWithoutGeneratingNewTokens(model.tokenize("In the beginning", { addBos: true }) as Token[]);
    assert.equal(engineContext.currentThreads, 1);
  } finally {
    await engineContext.dispose();
  }
});

test("an adaptive context generates the same greedy text as a one-thread context", async () => {
  const generate = async (threads: number | "adaptive") => {
    await using context = await Context.create(model, { threads, contextSize: 128 });
    assert.equal(context.threads, threads);
    return (await context.generate("And God said", { maxTokens: 40, temperature: 0 })).text;
  };
  const adaptive = await generate("adaptive");
  assert.ok(adaptive.length > 0);
  assert.equal(adaptive, await generate(1));
});

test("contexts are adaptive by default, and other thread settings are rejected clearly", async () => {
  await using context = await Context.create(model, { contextSize: 64 });
  assert.equal(context.threads, "adaptive");
  await assert.rejects(Context.create(model, { threads: "auto" as never }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === "params.threads" && /"adaptive"/.test(error.message));
  await assert.rejects(Context.create(model, { threads: 0 }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === "params.threads");
});
