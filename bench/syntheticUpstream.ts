/**
 * A tiny OpenAI-compatible engine for measuring the gateway: it "generates" synthetic
 * tokens with no model at all, as SSE in OpenAI's chunk format, so what is measured is the
 * gateway's own cost per stream. Models: `fast` streams as fast as the socket takes it;
 * `paced` sends one token every `pacedIntervalMs`, as a real engine decoding at that speed.
 * `max_tokens` sets the length (16 when absent, as OpenAI's legacy completions).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export const pacedIntervalMs = 50;

export function startSyntheticUpstream(): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((request, response) => void answer(request, response));
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ server, baseUrl: `http://127.0.0.1:${port}/v1` });
    }),
  );
}

async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method === "GET" && request.url === "/v1/models") {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "fast", object: "model" }, { id: "paced", object: "model" }] }));
    return;
  }
  if (request.method !== "POST" || (request.url !== "/v1/completions" && request.url !== "/v1/chat/completions")) {
    response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
    return;
  }
  let raw = "";
  for await (const chunk of request) raw += chunk;
  const body = JSON.parse(raw) as { model?: string; max_tokens?: number };
  const chat = request.url === "/v1/chat/completions";
  const tokens = body.max_tokens ?? 16;
  const paced = body.model === "paced";
  let closed = false;
  response.once("close", () => (closed = true));
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const identity = { id: "cmpl-synthetic", created: Math.floor(Date.now() / 1000), model: body.model, object: chat ? "chat.completion.chunk" : "text_completion" };
  const chunk = (text: string, finish: string | null) =>
    `data: ${JSON.stringify({ ...identity, choices: [chat ? { index: 0, delta: { content: text }, finish_reason: finish } : { index: 0, text, finish_reason: finish }] })}\n\n`;
  for (let index = 0; index < tokens && !closed; index++) {
    if (paced) await new Promise((resolve) => setTimeout(resolve, pacedIntervalMs));
    // Backpressure: a gateway that reads slowly slows this engine, as TCP slows a real one.
    if (!response.write(chunk(" amen", null))) await new Promise((resolve) => response.once("drain", resolve));
  }
  if (closed) return;
  response.write(chunk("", "length"));
  response.write(`data: ${JSON.stringify({ ...identity, choices: [], usage: { prompt_tokens: 4, completion_tokens: tokens, total_tokens: tokens + 4 } })}\n\n`);
  response.end("data: [DONE]\n\n");
}
