/**
 * Collecting output: build the complete response while streaming it.
 * Run: node --import tsx examples/collecting-output.ts
 */
import { Context, Model, defaultModelPath } from "../src/index.ts";

await using model = await Model.load(defaultModelPath);
await using context = await Context.create(model, { threads: 1 });

let response = "";
const result = await context.generateStreaming("The LORD is my shepherd", 60, (token) => {
  process.stdout.write(token);
  response += token;
});
console.log(`\n\nFull response: ${JSON.stringify(response)}`);

// The result already holds the same text, so collecting by hand is only needed mid-stream.
console.log(`Same as result.text: ${response === result.text}`);

// Without a callback: generate() collects, and stream().text() collects an iterator.
const collected = await context.generate("The LORD is my shepherd", { maxTokens: 60, temperature: 0 });
const streamed = await context.stream("The LORD is my shepherd", { maxTokens: 60, temperature: 0 }).text();
console.log(`generate(): ${JSON.stringify(collected.text)}`);
console.log(`stream().text() gives the same greedy text: ${streamed === collected.text}`);
