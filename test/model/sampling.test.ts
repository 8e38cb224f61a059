import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, type Context, type Model, type TokenEvent } from "../../src/index.ts";
import { collect, greedy, loadDemo } from "../helpers/demoModel.ts";

let model: Model;
let context: Context;
before(async () => ({ model, context } = await loadDemo()));
after(() => model.dispose());

const prompt = "And God said";

test("logprobs: each token's log-probability, and under greedy sampling the top alternative is the chosen token", async () => {
  const events: TokenEvent[] = await collect(context.stream(prompt, { ...greedy, maxTokens: 16, logprobs: 3 }));
  const plain = await context.generate(prompt, { ...greedy, maxTokens: 16 });
  assert.equal(events.map((event) => event.text).join(""), plain.text, "logprobs do not change the output");
  for (const event of events) {
    assert.equal(event.logprobs?.length, event.tokens.length);
    event.logprobs!.forEach((entry, index) => {
      assert.equal(entry.token, event.tokens[index]);
      assert.ok(entry.logprob <= 0 && Math.exp(entry.logprob) <= 1, `logprob ${entry.logprob}`);
      assert.equal(entry.topLogprobs.length, 3);
      assert.equal(entry.topLogprobs[0]!.token, entry.token, "greedy picks the most likely token");
      assert.equal(entry.topLogprobs[0]!.logprob, entry.logprob);
      const probabilities = entry.topLogprobs.map((alternative) => Math.exp(alternative.logprob));
      assert.ok(probabilities.reduce((sum, probability) => sum + probability, 0) <= 1 + 1e-6);
      assert.deepEqual(probabilities, [...probabilities].sort((a, b) => b - a), "most likely first");
      assert.deepEqual(entry.bytes, [...Buffer.from(entry.text)]);
    });
  }
  const collected = await context.generate(prompt, { ...greedy, maxTokens: 16, logprobs: 3 });
  assert.deepEqual(collected.logprobs, events.flatMap((event) => event.logprobs!), "generate's result joins the parts' logprobs");
  assert.equal(plain.logprobs, undefined);
  // Token texts continue the text before them: they join into the output, leading spaces included.
  assert.equal(events.flatMap((event) => event.logprobs!.map((entry) => entry.text)).join(""), plain.text);
});

test("logprobs: 0 gives the chosen tokens' log-probabilities without alternatives; without the option, none", async () => {
  const events = await collect(context.stream(prompt, { ...greedy, maxTokens: 6, logprobs: 0 }));
  const withAlternatives = await collect(context.stream(prompt, { ...greedy, maxTokens: 6, logprobs: 1 }));
  const entries = events.flatMap((event) => event.logprobs!);
  assert.equal(entries.length, 6);
  entries.forEach((entry, index) => {
    assert.deepEqual(entry.topLogprobs, []);
    assert.ok(Math.abs(entry.logprob - withAlternatives.flatMap((event) => event.logprobs!)[index]!.logprob) < 1e-5);
  });
  const plain = await collect(context.stream(prompt, { ...greedy, maxTokens: 6 }));
  assert.ok(plain.every((event) => event.logprobs === undefined));
});

test("logit bias: -100 on the greedy first token changes it, +100 on another forces it", async () => {
  const first = (await collect(context.stream(prompt, { ...greedy, maxTokens: 1 })))[0]!.tokens[0]!;
  const banned = await collect(context.stream(prompt, { ...greedy, maxTokens: 1, logitBias: { [first]: -100 } }));
  assert.notEqual(banned[0]!.tokens[0], first);
  const forced = model.tokenize(" LORD", { addBos: false }).at(-1)!;
  const events = await collect(context.stream(prompt, { ...greedy, maxTokens: 3, logitBias: { [forced]: 100 } }));
  assert.ok(events.flatMap((event) => event.tokens).every((token) => token === forced), "+100 forces the token at every step");
  assert.match(events.map((event) => event.text).join(""), /^( ?LORD){3}$/);
});

test("frequency and presence penalties change a repetitive greedy output", async () => {
  const repetitive = await context.generate("and the LORD said unto", { ...greedy, maxTokens: 48 });
  const frequency = await context.generate("and the LORD said unto", { ...greedy, maxTokens: 48, frequencyPenalty: 2 });
  const presence = await context.generate("and the LORD said unto", { ...greedy, maxTokens: 48, presencePenalty: 2 });
  assert.notEqual(frequency.text, repetitive.text);
  assert.notEqual(presence.text, repetitive.text);
  // A window of 0 turns the penalties off.
  const windowless = await context.generate("and the LORD said unto", { ...greedy, maxTokens: 48, frequencyPenalty: 2, penaltyWindow: 0 });
  assert.equal(windowless.text, repetitive.text);
});

test("bad sampling options are refused, naming the option", () => {
  const refused = (options: object, argument: string) =>
    assert.throws(() => context.stream(prompt, options), (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument);
  refused({ logprobs: 21 }, "options.logprobs");
  refused({ presencePenalty: 2.5 }, "options.presencePenalty");
  refused({ frequencyPenalty: -3 }, "options.frequencyPenalty");
  refused({ logitBias: { 5: 101 } }, "options.logitBias.5");
  refused({ logitBias: { abc: 1 } }, "options.logitBias.abc");
  refused({ logitBias: { 999999: -100 } }, "options.logitBias.999999");
});
