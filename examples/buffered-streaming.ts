/**
 * Buffered streaming: hand text on in larger pieces for smoother output to a slow display
 * or socket. Group by count, by time, or by word; nothing is lost, and the last partial
 * group is flushed at the end.
 * Run: node --import tsx examples/buffered-streaming.ts
 */
import { Context, Model, bufferByCount, bufferByTime, bufferByWord, defaultModelPath } from "../src/index.ts";

await using model = await Model.load(defaultModelPath);
await using context = await Context.create(model, { threads: 1 });
const generate = () => context.stream("And God said", { maxTokens: 30, temperature: 0 });

// The seed's buffer_size = 5: five tokens per write ("|" shows where each write starts).
for await (const group of bufferByCount(generate(), 5)) process.stdout.write(`|${group.text}`);
console.log("\n");

// Whole words: a piece ends where a word does.
for await (const group of bufferByWord(generate())) process.stdout.write(`|${group.text}`);
console.log("\n");

// Whatever arrived in each 5 ms window: steady output whatever the token rate.
const pieces: string[] = [];
for await (const group of bufferByTime(generate(), 5)) pieces.push(group.text);
console.log(`${pieces.length} timed pieces: ${JSON.stringify(pieces)}`);
console.log(`nothing lost: ${pieces.join("") === (await context.generate("And God said", { maxTokens: 30, temperature: 0 })).text}`);
