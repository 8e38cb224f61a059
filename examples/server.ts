/**
 * Runs the mullama server in-process on a free port, streams one OpenAI-style chat
 * completion from it with plain fetch, prints the text as it arrives, and shuts down.
 *
 *   node --import tsx examples/server.ts
 */
import { createServer } from "../src/index.ts";

// The bundled demo model; port 0 picks any free port.
const server = createServer({ port: 0, parallel: 2 });
const { url } = await server.listen();
console.error(`server listening on ${url}`);

try {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "kjv-tiny-q8_0",
      messages: [{ role: "user", content: "Who made the heaven and the earth?" }],
      max_tokens: 48,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);

  // Each SSE event is "data: <json>\n\n"; the stream ends with "data: [DONE]".
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of response.body!) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: ")) continue; // a keep-alive comment
      const data = event.slice("data: ".length);
      if (data === "[DONE]") continue;
      const chunk = JSON.parse(data);
      const text = chunk.choices[0]?.delta?.content;
      if (text) process.stdout.write(text);
      if (chunk.usage) console.error(`\n[${chunk.usage.completion_tokens} tokens, prompt ${chunk.usage.prompt_tokens} tokens]`);
    }
  }
} finally {
  await server.close();
}
