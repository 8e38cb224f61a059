/**
 * With channels: generate in this thread and consume in another (a worker thread), as
 * the seed's producer and consumer threads do. A MessageChannel carries the stream with
 * flow control (the worker grants credits), so a slow consumer slows the generation.
 * Run: node --import tsx examples/channels.ts
 */
import { once } from "node:events";
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from "node:worker_threads";
import { Context, Model, defaultModelPath, receiveStreamFromPort, sendStreamToPort } from "../src/index.ts";

if (isMainThread) {
  // Producer: the model lives in this thread.
  await using model = await Model.load(defaultModelPath);
  await using context = await Context.create(model, { threads: 1 });

  // One MessageChannel per stream: one end stays here, the other is moved to the worker.
  const { port1, port2 } = new MessageChannel();
  const consumer = startWorker(new URL(import.meta.url), { workerData: { port: port2 }, transferList: [port2] });

  const outcome = await sendStreamToPort(context.stream("And God said", { maxTokens: 40 }), port1);
  port1.close(); // the seed's drop(tx): nothing more will be sent
  // The seed's handle.join(): the worker answers with the response it built.
  const [response] = (await once(consumer, "message")) as [string];
  console.log(`\nproducer: delivery ${outcome}`);
  console.log(`Full response from the consumer thread: ${JSON.stringify(response)}`);
} else {
  // Consumer thread: receive the events, building the full response.
  const port = (workerData as { port: MessagePort }).port;
  const stream = receiveStreamFromPort(port);
  let fullResponse = "";
  for await (const event of stream) {
    fullResponse += event.text;
    process.stdout.write(event.text); // process the token (e.g. send it to a websocket)
  }
  const result = await stream.result;
  console.log(`\nconsumer: ${result.tokenCount} tokens, stopped by ${result.stopReason}`);
  parentPort!.postMessage(fullResponse);
}

/**
 * Starts a worker on a TypeScript file. Node 20 does not apply tsx's `--import` hooks
 * inside workers, so the worker registers tsx itself before importing the file; compiled
 * JavaScript would simply use `new Worker(url, options)`.
 */
function startWorker(url: URL, options: ConstructorParameters<typeof Worker>[1]): Worker {
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
