/**
 * Async streaming: the stream is an async iterable, so `for await`, AbortSignal, a bounded
 * channel between tasks, and Web or Node streams all work with it directly.
 * Run: node --import tsx examples/async-streaming.ts
 */
import { pipeline } from "node:stream/promises";
import { Channel, Context, Model, defaultModelPath, pipeToChannel, type TokenEvent } from "../src/index.ts";

await using model = await Model.load(defaultModelPath);
await using context = await Context.create(model, { threads: 1 });

// 1. for await: each event arrives as the engine decodes it (and only when asked for).
for await (const event of context.stream("And God said", { maxTokens: 20 })) process.stdout.write(event.text);
console.log("\n");

// 2. The seed's mpsc::channel(32): a producer task and an async consumer. The channel is
//    bounded, so the producer waits when the consumer falls 32 events behind.
const channel = new Channel<TokenEvent>(32);
const producer = pipeToChannel(context.stream("In the beginning", { maxTokens: 20 }), channel);
for await (const event of channel) process.stdout.write(event.text);
console.log(`\n(producer: ${await producer})\n`);

// 3. AbortSignal: cancel from anywhere; the generation ends with stopReason "abort".
const controller = new AbortController();
const stream = context.stream("And God said", { maxTokens: 200, temperature: 0, signal: controller.signal });
for await (const event of stream) {
  process.stdout.write(event.text);
  if (event.tokenCount >= 8) controller.abort();
}
console.log(`\n(stopped by ${(await stream.result).stopReason})\n`);
// AbortSignal.timeout(ms) gives a time budget the same way.

// 4. A Web ReadableStream of text, for fetch Responses and the browser-style APIs.
const web = context.stream("The LORD is my shepherd", { maxTokens: 20 }).toReadableStream();
await web.pipeTo(new WritableStream({ write: (text) => void process.stdout.write(text) }));
console.log("\n");

// 5. A Node Readable, piped with backpressure (`end: false` keeps stdout open).
await pipeline(context.stream("The LORD is my shepherd", { maxTokens: 20, temperature: 0 }).toNodeReadable(), process.stdout, { end: false });
console.log();
