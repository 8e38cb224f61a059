/**
 * Basic streaming: print each piece of text the moment it is generated.
 * Run: node --import tsx examples/basic-streaming.ts
 */
import { Context, Model, defaultModelPath } from "../src/index.ts";

// `await using` disposes the context, then the model, when this module ends.
await using model = await Model.load(defaultModelPath);
// One thread keeps the demo light on small machines; leave `threads` out to use the default.
await using context = await Context.create(model, { threads: 1 });

const result = await context.generateStreaming("And God said", 40, (token) => {
  // write(), unlike console.log, adds no newline and hands the text to the terminal at once.
  process.stdout.write(token);
  return true; // continue generating
});

console.log(`\n\n[${result.tokenCount} tokens, stopped by ${result.stopReason}]`);
