/**
 * The other side of the gateway benchmark, in a process of its own so that the gateway's
 * CPU time is measured alone: the synthetic upstream, and the clients that stream through
 * the gateway (plain node:http, reading each SSE answer to `[DONE]`). Driven over IPC by
 * bench/gateway.ts: `{start}` answers the upstream's URL, `{load}` runs clients and answers
 * the streams completed.
 */
import { request as httpRequest, Agent } from "node:http";
import { startSyntheticUpstream } from "./syntheticUpstream.ts";

export interface LoadCommand {
  type: "load";
  gatewayUrl: string;
  model: "fast" | "paced";
  /** Clients streaming at once, each starting its next stream when one ends. */
  clients: number;
  tokens: number;
  durationMs: number;
}

export interface LoadResult {
  completed: number;
  failed: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

function oneStream(gatewayUrl: string, model: string, tokens: number): Promise<boolean> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ model, prompt: "Amen", max_tokens: tokens, stream: true });
    const request = httpRequest(`${gatewayUrl}/v1/completions`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (response) => {
      let tail = "";
      response.setEncoding("utf8");
      response.on("data", (text: string) => (tail = (tail + text).slice(-64)));
      response.on("end", () => resolve(response.statusCode === 200 && tail.includes("[DONE]")));
      response.on("error", () => resolve(false));
    });
    request.on("error", () => resolve(false));
    request.end(body);
  });
}

async function load(command: LoadCommand): Promise<LoadResult> {
  const deadline = performance.now() + command.durationMs;
  const result: LoadResult = { completed: 0, failed: 0 };
  const client = async () => {
    while (performance.now() < deadline) {
      if (await oneStream(command.gatewayUrl, command.model, command.tokens)) result.completed++;
      else result.failed++;
    }
  };
  await Promise.all(Array.from({ length: command.clients }, client));
  return result;
}

const upstream = await startSyntheticUpstream();
process.on("message", (message: { type: "start" } | LoadCommand) => {
  if (message.type === "start") process.send!({ baseUrl: upstream.baseUrl });
  else void load(message).then((result) => process.send!(result));
});
process.on("disconnect", () => process.exit(0));
