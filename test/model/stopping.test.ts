import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { GenerationError, type Context, type Model } from "../../src/index.ts";
import { collect, greedy, loadDemo } from "../helpers/demoModel.ts";

let model: Model;
let context: Context;
// One sequence: a generation that failed to free its sequence would make the next one hang.
before(async () => ({ model, context } = await loadDemo({ sequences: 1 })));
after(() => model.dispose());

const reference = async () => (await context.generate("And God said", { ...greedy, maxTokens: 40 })).text;

test("returning false from the callback stops at once, with stopReason callback", async () => {
  let calls = 0;
  const result = await context.generateStreaming("And God said", 100, () => ++calls < 5, greedy);
  assert.equal(calls, 5);
  assert.equal(result.stopReason, "callback");
  assert.equal(result.tokenCount, 5);
  assert.equal(context.busySequences, 0);
});

test("leaving on the last piece of text keeps the reason the generation ended for", async () => {
  const result = await context.generateStreaming("And God said", 5, (_text, event) => event.tokenCount < 5, greedy);
  assert.equal(result.stopReason, "maxTokens");
  assert.equal(result.tokenCount, 5);
  const whole = (await context.generate("And God said", { ...greedy, maxTokens: 40, stop: ["king"] })).text;
  let seen = "";
  const stopped = await context.generateStreaming("And God said", 40, (text) => (seen += text) !== whole, { ...greedy, stop: ["king"] });
  assert.equal(seen, whole, "left on the text just before the stop string");
  assert.equal(stopped.stopReason, "stop");
  assert.equal(stopped.stopString, "king");
});

test("an async callback is awaited, and its false stops too", async () => {
  const seen: string[] = [];
  const result = await context.generateStreaming("And God said", 100, async (text) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    seen.push(text);
    return !text.includes("king");
  }, greedy);
  assert.equal(result.stopReason, "callback");
  assert.ok(seen.at(-1)!.includes("king"));
  assert.equal(result.text, seen.join(""));
});

test("break out of for-await stops generation and frees the sequence", async () => {
  const stream = context.stream("And God said", { ...greedy, maxTokens: 100 });
  let count = 0;
  for await (const _event of stream) if (++count === 3) break;
  const result = await stream.result;
  assert.equal(result.stopReason, "callback");
  assert.equal(result.tokenCount, 3);
  assert.equal(context.busySequences, 0);
  assert.ok((await reference()).startsWith(result.text), "the context is reusable right after");
});

test("an AbortSignal stops within one token, and the context is reusable", async () => {
  const controller = new AbortController();
  const stream = context.stream("And God said", { ...greedy, maxTokens: 200, signal: controller.signal });
  let seenAtAbort = 0;
  let seenTotal = 0;
  for await (const event of stream) {
    seenTotal = event.tokenCount;
    if (event.tokenCount >= 4 && !controller.signal.aborted) {
      controller.abort();
      seenAtAbort = event.tokenCount;
    }
  }
  const result = await stream.result;
  assert.equal(result.stopReason, "abort");
  assert.equal(result.tokenCount, seenAtAbort, "no token after the abort");
  assert.equal(seenTotal, seenAtAbort);
  assert.equal(context.busySequences, 0);
  assert.equal(await reference(), await reference());
});

test("an abort racing a token in flight still ends the stream cleanly", async () => {
  for (const delay of [0, 1, 2, 5]) {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), delay);
    const result = await context.generate("And God said", { ...greedy, maxTokens: 250, signal: controller.signal });
    assert.ok(["abort", "maxTokens"].includes(result.stopReason));
    assert.equal(context.busySequences, 0);
  }
});

test("an already aborted signal generates nothing", async () => {
  const result = await context.generate("And God said", { ...greedy, signal: AbortSignal.abort() });
  assert.equal(result.stopReason, "abort");
  assert.equal(result.tokenCount, 0);
  assert.equal(result.text, "");
});

test("an exception in the callback rejects with it as cause and frees the sequence", async () => {
  const boom = new Error("consumer failed");
  await assert.rejects(
    context.generateStreaming("And God said", 50, () => {
      throw boom;
    }),
    (error: unknown) => error instanceof GenerationError && error.cause === boom && error.code === "GENERATION_FAILED",
  );
  assert.equal(context.busySequences, 0);
  assert.ok((await reference()).length > 0);
});

test("a throw inside for-await frees the sequence", async () => {
  await assert.rejects(async () => {
    for await (const _event of context.stream("And God said", { ...greedy, maxTokens: 50 })) throw new Error("stop here");
  }, /stop here/);
  assert.equal(context.busySequences, 0);
});

test("a stop string spanning several tokens is never emitted, and nothing before it is lost", async () => {
  // "Babylon" is generated as the tokens " B" "ab" "y" "l" "on".
  const full = await reference();
  const pieces: string[] = [];
  const result = await context.generateStreaming("And God said", 40, (text) => {
    pieces.push(text);
  }, { ...greedy, stop: ["Babylon"] });
  assert.equal(result.stopReason, "stop");
  assert.equal(result.stopString, "Babylon");
  assert.equal(result.text, full.slice(0, full.indexOf("Babylon")));
  assert.equal(pieces.join(""), result.text);
  assert.ok(!pieces.some((piece) => /B|ab|ylon/.test(piece) && piece.includes("Bab")));
});

test("held-back text that turns out not to be a stop string is released, and flushed at the end", async () => {
  const full = await reference();
  // "Babel" shares the prefix " Bab" with the text but never occurs: all text must come out.
  const events = await collect(context.stream("And God said", { ...greedy, maxTokens: 40, stop: ["Babel", "unto him, I will not go down"] }));
  assert.equal(events.map((event) => event.text).join(""), full);
  // Held text ends the stream too: the last tokens " king of B" must be flushed at maxTokens.
  const cut = await context.generate("And God said", { ...greedy, maxTokens: 13, stop: ["Babel"] });
  assert.equal(cut.stopReason, "maxTokens");
  assert.equal(cut.text, (await context.generate("And God said", { ...greedy, maxTokens: 13 })).text);
});

test("stop strings work the same through every API", async () => {
  const options = { ...greedy, stop: ["king"] };
  const viaGenerate = await context.generate("And God said", { ...options, maxTokens: 40 });
  const viaStream = (await collect(context.stream("And God said", { ...options, maxTokens: 40 }))).map((event) => event.text).join("");
  let viaCallback = "";
  await context.generateStreaming("And God said", 40, (text) => {
    viaCallback += text;
  }, options);
  assert.equal(viaGenerate.text, " unto him, I will not go up to the ");
  assert.equal(viaStream, viaGenerate.text);
  assert.equal(viaCallback, viaGenerate.text);
});

test("a stream closed before its first event settles its result and holds nothing", async () => {
  const stream = context.stream("And God said", { ...greedy, maxTokens: 10 });
  await stream.close();
  const result = await stream.result;
  assert.equal(result.tokenCount, 0);
  assert.equal(result.stopReason, "abort");
  assert.equal(context.busySequences, 0);
  const left = context.stream("And God said", { ...greedy, maxTokens: 10 });
  await left[Symbol.asyncIterator]().return!();
  assert.equal((await left.result).tokenCount, 0);
});

test("an abort ends a generation whose callback's promise never settles", async () => {
  const controller = new AbortController();
  let calls = 0;
  const pending = context.generateStreaming("And God said", 100, () => {
    calls++;
    setTimeout(() => controller.abort(), 5);
    return new Promise<boolean>(() => {});
  }, { ...greedy, signal: controller.signal });
  const result = await pending;
  assert.equal(calls, 1);
  assert.equal(result.stopReason, "abort");
  assert.equal(result.tokenCount, 1);
  assert.equal(context.busySequences, 0);
  // The sequence is free: the next generation runs.
  assert.equal((await context.generate("And God said", { ...greedy, maxTokens: 3 })).tokenCount, 3);
});

test("a callback's promise that rejects after the abort is ignored", async () => {
  const controller = new AbortController();
  let rejectLate!: (error: Error) => void;
  const result = await context.generateStreaming("And God said", 100, () => {
    setTimeout(() => controller.abort(), 5);
    return new Promise<boolean>((_resolve, reject) => (rejectLate = reject));
  }, { ...greedy, signal: controller.signal });
  assert.equal(result.stopReason, "abort");
  rejectLate(new Error("too late"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(context.busySequences, 0);
});

test("dispose ends a generation whose callback's promise never settles", async () => {
  const { model: ownModel, context: own } = await loadDemo({ sequences: 1 });
  try {
    const pending = own.generateStreaming("And God said", 100, () => {
      setTimeout(() => void own.dispose(), 5);
      return new Promise<boolean>(() => {});
    }, greedy);
    const result = await pending;
    assert.equal(result.stopReason, "abort");
    assert.equal(own.disposed, true);
  } finally {
    await ownModel.dispose();
  }
});
