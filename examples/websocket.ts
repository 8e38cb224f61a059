/**
 * WebSocket streaming: a `ws` server streams token messages for each `generate` request
 * (and stops on `cancel`); a client in the same process asks once, prints, and closes.
 * Run: node --import tsx examples/websocket.ts
 */
import { on, once } from "node:events";
import { WebSocket, WebSocketServer } from "ws";
import { Context, Model, defaultModelPath, tokenStreamToWebSocketMessages, toErrorInfo, type ServerMessage } from "../src/index.ts";

await using model = await Model.load(defaultModelPath);
await using context = await Context.create(model, { threads: 1 });

const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
server.on("connection", (socket) => {
  const running = new Map<string, AbortController>();
  socket.on("message", async (data) => {
    const request = JSON.parse(String(data)) as { type: string; id: string; prompt?: string };
    if (request.type === "cancel") return running.get(request.id)?.abort();
    const controller = new AbortController();
    running.set(request.id, controller);
    let stream;
    try {
      stream = context.stream(request.prompt ?? "", { maxTokens: 30, signal: controller.signal });
    } catch (error) {
      // Bad options and prompts that cannot fit throw before streaming starts.
      return socket.send(JSON.stringify({ type: "error", id: request.id, error: toErrorInfo(error) } satisfies ServerMessage));
    }
    for await (const message of tokenStreamToWebSocketMessages(stream, request.id)) {
      if (socket.readyState !== WebSocket.OPEN) break; // leaving the loop stops the generation
      // Waiting for each send to be written keeps a slow client from piling up messages.
      await new Promise<void>((resolve, reject) => socket.send(message, (error) => (error ? reject(error) : resolve())));
    }
    running.delete(request.id);
  });
});
await once(server, "listening");
const { port } = server.address() as { port: number };

// The client.
const client = new WebSocket(`ws://127.0.0.1:${port}`);
await once(client, "open");
client.send(JSON.stringify({ type: "generate", id: "1", prompt: "And God said" }));
for await (const [data] of on(client, "message")) {
  const message = JSON.parse(String(data)) as ServerMessage;
  if (message.type === "token") process.stdout.write(message.text);
  else {
    console.log(`\n${message.type}: ${JSON.stringify(message.type === "done" ? message.usage : message.error)}`);
    break;
  }
}
client.close();
await once(client, "close");
server.close();

