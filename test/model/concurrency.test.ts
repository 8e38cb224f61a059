import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Context, Model } from "../../src/index.ts";
import { collect, greedy, loadDemo } from "../helpers/demoModel.ts";

let model: Model;
let context: Context;
before(async () => ({ model, context } = await loadDemo({ sequences: 4 })));
after(() => model.dispose());

const prompts = ["And God said", "The LORD is my shepherd", "In the beginning", "And it came to pass"];

test("concurrent generations on separate sequences give the same greedy text as running alone", async () => {
  const alone: string[] = [];
  for (const prompt of prompts) alone.push((await context.generate(prompt, { ...greedy, maxTokens: 40 })).text);
  let peakBusy = 0;
  const together = await Promise.all(
    prompts.map(async (prompt) => {
      let text = "";
      for await (const event of context.stream(prompt, { ...greedy, maxTokens: 40 })) {
        text += event.text;
        peakBusy = Math.max(peakBusy, context.busySequences);
      }
      return text;
    }),
  );
  assert.deepEqual(together, alone);
  assert.equal(peakBusy, 4, "all four ran at the same time");
  assert.equal(context.busySequences, 0);
});

test("more generations than sequences wait their turn and all complete", async () => {
  const many = [...prompts, ...prompts, ...prompts];
  const results = await Promise.all(many.map((prompt) => context.generate(prompt, { ...greedy, maxTokens: 20 })));
  for (let index = 4; index < many.length; index++) assert.equal(results[index]!.text, results[index % 4]!.text);
  assert.ok(results.some((result) => result.timings.queueMs > 1), "some had to wait");
  assert.equal(context.waitingGenerations, 0);
});

test("a prompt sharing a prefix with a free sequence's cache evaluates only the new part", async () => {
  const system = "And God said unto Moses, ";
  const first = await context.generate(system + "Go", { ...greedy, maxTokens: 4 });
  const second = await context.generate(system + "Go", { ...greedy, maxTokens: 4 });
  assert.equal(second.text, first.text);
  assert.equal(second.cachedPromptTokens, second.promptTokens - 1, "all but the last prompt token reused");
  const third = await context.generate(system + "Speak", { ...greedy, maxTokens: 4 });
  const prefixTokens = model.tokenize(system, { addBos: true }).length;
  assert.ok(third.cachedPromptTokens >= prefixTokens - 1, `reused ${third.cachedPromptTokens} of ${third.promptTokens}`);
  const fresh = await context.generate(system + "Speak", { ...greedy, maxTokens: 4 });
  assert.equal(third.text, fresh.text, "reusing a prefix does not change the output");
});

test("a slow consumer slows generation: the engine runs at most one token ahead (backpressure)", async () => {
  const delayMs = 40;
  const stream = context.stream("And God said", { ...greedy, maxTokens: 6 });
  const arrivals: number[] = [];
  for await (const event of stream) {
    arrivals.push(event.elapsedMs);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  assert.equal(arrivals.length, 6);
  for (let index = 1; index < arrivals.length; index++) {
    // Had the engine run ahead freely, parts would pile up and come out back to back (gap ~0).
    assert.ok(arrivals[index]! - arrivals[index - 1]! >= delayMs - 5, `gap ${arrivals[index]! - arrivals[index - 1]!} ms`);
  }
});

test("decoding runs off the JS thread: timers keep firing during generation", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const longPrompt = "And God said unto Moses, ".repeat(20);
  const started = performance.now();
  const events = await collect(context.stream(longPrompt, { ...greedy, maxTokens: 60 }));
  const elapsed = performance.now() - started;
  clearInterval(timer);
  assert.ok(events.length > 0);
  assert.ok(ticks >= 1, `timers fired ${ticks} times in ${elapsed.toFixed(0)} ms`);
});

test("Web ReadableStream and Node Readable conversions carry the same text; cancelling stops", async () => {
  const expected = (await context.generate("And God said", { ...greedy, maxTokens: 20 })).text;
  let webText = "";
  const reader = context.stream("And God said", { ...greedy, maxTokens: 20 }).toReadableStream().getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) webText += next.value;
  assert.equal(webText, expected);
  let nodeText = "";
  for await (const chunk of context.stream("And God said", { ...greedy, maxTokens: 20 }).toNodeReadable()) nodeText += chunk;
  assert.equal(nodeText, expected);

  const cancelled = context.stream("And God said", { ...greedy, maxTokens: 200 });
  const cancelledReader = cancelled.toReadableStream().getReader();
  await cancelledReader.read();
  await cancelledReader.cancel();
  assert.equal((await cancelled.result).stopReason, "callback");
  assert.equal(context.busySequences, 0);

  const destroyed = context.stream("And God said", { ...greedy, maxTokens: 200 });
  const readable = destroyed.toNodeReadable({ objectMode: true });
  const [first] = await readable.take(1).toArray();
  assert.equal(typeof first.text, "string");
  readable.destroy();
  const result = await destroyed.result;
  assert.ok(result.tokenCount < 200);
  assert.equal(context.busySequences, 0);
});
