/**
 * Server-Sent Events: stream a generation to web clients as `text/event-stream`. A plain
 * node:http server sends `token` events, then `done` (or `error`); this example fetches
 * it once, prints what arrives, and shuts down.
 * Run: node --import tsx examples/server-sent-events.ts
 */
import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Context, Model, defaultModelPath, tokenStreamToServerSentEvents } from "../src/index.ts";

await using model = await Model.load(defaultModelPath);
await using context = await Context.create(model, { threads: 1 });

const server = createServer(async (request, response) => {
  const prompt = new URL(request.url ?? "/", "http://localhost").searchParams.get("prompt") ?? "And God said";
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  // pipeline() waits while the socket is full, and destroys the source if the client
  // hangs up, which stops the generation and frees the sequence.
  const events = tokenStreamToServerSentEvents(context.stream(prompt, { maxTokens: 20 }));
  await pipeline(Readable.from(events), response).catch(() => {});
});
server.listen(0, "127.0.0.1");
await once(server, "listening");
const { port } = server.address() as AddressInfo;

// The client: read the body as it arrives and print each event.
const response = await fetch(`http://127.0.0.1:${port}/?prompt=${encodeURIComponent("And God said")}`);
const decoder = new TextDecoderStream();
let received = "";
for await (const chunk of response.body!.pipeThrough(decoder)) received += chunk;
for (const block of received.trim().split("\n\n")) {
  const event = /^event: (.*)$/m.exec(block)?.[1];
  const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") as { text?: string; stopReason?: string };
  console.log(event === "token" ? `token ${JSON.stringify(data.text)}` : `${event} ${JSON.stringify(data)}`);
}

server.close();
await once(server, "close");
