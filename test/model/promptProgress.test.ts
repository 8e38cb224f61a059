import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Context, Model } from "../../src/index.ts";
import { greedy, loadDemo } from "../helpers/demoModel.ts";

let model: Model;
let context: Context;
// Small batches, so a prompt of a few verses takes several.
before(async () => ({ model, context } = await loadDemo({ batchSize: 16 })));
after(() => model.dispose());

const prompt = "In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the";

test("onPromptProgress: a call per batch of the prompt, then one with the whole prompt before the first token", async () => {
  const total = model.tokenize(prompt, { addBos: true }).length;
  assert.ok(total > 32 && total <= 48, `${total} prompt tokens`);
  const calls: [number, number][] = [];
  let firstTokenCalls: number | undefined;
  await context.generateStreaming(prompt, 3, () => {
    firstTokenCalls ??= calls.length;
  }, { ...greedy, onPromptProgress: (evaluated, promptTokens) => calls.push([evaluated, promptTokens]) });
  // The last batch is evaluated with the first decode, which needs its logits.
  const batches = Math.ceil(total / 16) - 1;
  assert.deepEqual(calls, [...Array.from({ length: batches }, (_, index) => [(index + 1) * 16, total]), [total, total]]);
  assert.equal(firstTokenCalls, calls.length, "the whole prompt is reported before the first token comes out");
});

test("tokens reused from the cache count as evaluated", async () => {
  const calls: number[] = [];
  const longer = `${prompt} And God said, Let there be light: and there was light.`;
  await context.generate(longer, { ...greedy, maxTokens: 1, onPromptProgress: (evaluated) => calls.push(evaluated) });
  const cached = model.tokenize(prompt, { addBos: true }).length;
  assert.ok(calls[0]! > cached, `the first report (${calls[0]}) starts past the ${cached} cached tokens`);
  assert.equal(calls.at(-1), model.tokenize(longer, { addBos: true }).length);
});
