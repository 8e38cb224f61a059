/**
 * Best practices, from the seed's list, in one short program:
 * 1. flush output, respecting backpressure; 2. use channels (see channels.ts);
 * 3. stop early gracefully; 4. track progress; 5. buffer when needed. Plus: dispose
 * native memory deterministically, and reuse one model and one context.
 * Run: node --import tsx examples/best-practices.ts
 */
import { once } from "node:events";
import { Context, Model, bufferByWord, defaultModelPath } from "../src/index.ts";

// Dispose native memory explicitly: `await using` frees the context, then the model, even on a throw.
await using model = await Model.load(defaultModelPath);
// Create one context and reuse it: later prompts that share a prefix skip its evaluation.
await using context = await Context.create(model, { threads: 1 });

// 1. Flush output: write() hands each token on at once; when the pipe is full, wait for
//    it to drain (the callback may be async, and generation waits with it).
const result = await context.generateStreaming("And God said", 40, async (token) => {
  if (!process.stdout.write(token)) await once(process.stdout, "drain");
});

// 4. Track progress: every result carries its timings (see progress-tracking.ts for live reports).
const { timeToFirstTokenMs, tokensPerSecond } = result.timings;
console.log(`\n[first token after ${timeToFirstTokenMs.toFixed(1)} ms, ${tokensPerSecond.toFixed(0)} tokens/s]`);

// 3. Stop early gracefully: a time budget via AbortSignal ends the generation with
//    stopReason "abort" and keeps the text so far (no exception to handle).
const budgeted = await context.generate("In the beginning", { maxTokens: 200, signal: AbortSignal.timeout(5_000) });
console.log(`${JSON.stringify(budgeted.text.slice(0, 60))}... (stopped by ${budgeted.stopReason})`);

// 5. Buffer when the consumer is slow: whole words per write instead of one per token.
for await (const word of bufferByWord(context.stream("The LORD is my shepherd", { maxTokens: 30 }))) process.stdout.write(word.text);
console.log();
