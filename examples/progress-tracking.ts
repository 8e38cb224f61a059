/**
 * Progress tracking: report tokens and tokens per second every N tokens.
 * Run: node --import tsx examples/progress-tracking.ts
 */
import { Context, Model, defaultModelPath, withProgress, trackProgress } from "../src/index.ts";

await using model = await Model.load(defaultModelPath);
await using context = await Context.create(model, { threads: 1 });

// withProgress wraps the token callback; reports go to stderr so they never mix into the text.
const onToken = withProgress(
  (token: string) => {
    process.stdout.write(token);
  },
  {
    every: 50,
    onProgress: ({ tokenCount, tokensPerSecond }) => console.error(`\n[${tokenCount} tokens, ${tokensPerSecond.toFixed(1)} t/s]`),
  },
);
// Greedy (temperature 0) so this demo runs the full 200 tokens instead of stopping at an end token.
const result = await context.generateStreaming("And God said", 200, onToken, { temperature: 0 });
console.log(`\n\nGenerated ${result.tokenCount} tokens in ${(result.timings.totalMs / 1000).toFixed(2)}s`);
console.log(`time to first token ${result.timings.timeToFirstTokenMs.toFixed(1)} ms, decoding ${result.timings.tokensPerSecond.toFixed(1)} t/s`);

// The same reports as a pass-through over an iterator.
let reports = 0;
for await (const _event of trackProgress(context.stream("And God said", { maxTokens: 100, temperature: 0 }), { every: 25, onProgress: () => reports++ })) {
  // Consume; trackProgress hands every event on unchanged.
}
console.log(`trackProgress reported ${reports} times over 100 tokens`);
