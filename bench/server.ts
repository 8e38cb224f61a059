/**
 * The server benchmark (issue 3): one SSE stream against in-process streaming on the same
 * context; 1/2/4/8 concurrent clients against the same clients served one at a time (a
 * server with one sequence and a queue, the way Ollama serves by default); and time to
 * first token for a request repeating a 1,000-token prefix, cold against warm.
 * Clients use plain node:http so that the client's own cost stays small.
 */
import { request, Agent } from "node:http";
import { Context, Model, createServer, type MullamaServer } from "../src/index.ts";
import { formatSpread, spread, type Spread } from "./stats.ts";

interface StreamTiming {
  tokens: number;
  timeToFirstTokenMs: number;
  totalMs: number;
  /** Tokens per second after the first token. */
  tokensPerSecond: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs to the native SSE route and times the stream, from the moment the request is sent. */
function streamOverSse(url: string, prompt: string | number[], maxTokens: number, startedAt = performance.now()): Promise<StreamTiming> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ prompt, options: { temperature: 0, maxTokens } });
    const call = request(`${url}/generate`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (response) => {
      let tokens = 0;
      let firstAt = 0;
      let carry = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        const text = carry + chunk;
        const lines = text.split("\n");
        carry = lines.pop() ?? "";
        for (const line of lines) {
          if (line === "event: token") {
            tokens++;
            if (firstAt === 0) firstAt = performance.now();
          } else if (line === "event: error") reject(new Error(`server error event: ${text}`));
        }
      });
      response.on("end", () => {
        const endedAt = performance.now();
        if (response.statusCode !== 200 || tokens === 0) return reject(new Error(`status ${response.statusCode}, ${tokens} tokens`));
        resolve({ tokens, timeToFirstTokenMs: firstAt - startedAt, totalMs: endedAt - startedAt, tokensPerSecond: ((tokens - 1) * 1000) / (endedAt - firstAt) });
      });
    });
    call.on("error", reject);
    call.end(body);
  });
}

async function streamInProcess(context: Context, prompt: string | number[], maxTokens: number): Promise<number> {
  let first = 0;
  let count = 0;
  for await (const _event of context.stream(prompt, { temperature: 0, maxTokens })) {
    if (count++ === 0) first = performance.now();
  }
  return ((count - 1) * 1000) / (performance.now() - first);
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

async function startServer(model: Model, parallel: number, contextSize: number, threads: number): Promise<{ server: MullamaServer; url: string }> {
  const server = createServer({ model, port: 0, parallel, maxQueue: 16, contextSize, threads, logger: false });
  const { url } = await server.listen();
  return { server, url };
}

export interface ServerBenchmarkOptions {
  modelPath: string;
  repeats: number;
  threads: number;
  /** Tokens per stream. */
  tokens: number;
  prompts: readonly (string | number[])[];
}

export interface ServerBenchmarkResult {
  /** Markdown table rows (without the header). */
  rows: string[];
  sseRatio: Spread;
  /** Aggregate tokens/s with 8 clients over one client's. */
  eightClientsAggregateRatio: number;
  /** p95 time to first token with 8 clients, batched over one at a time. */
  eightClientsFirstTokenRatio: Spread;
  /** Warm over cold time to first token after a 1,000-token prefix. */
  prefixRatio: Spread;
}

export const serverTableHeader = ["row", "measured", "baseline", "ratio", "target"];

export async function benchmarkServer(options: ServerBenchmarkOptions): Promise<ServerBenchmarkResult> {
  const { repeats, threads, tokens, prompts } = options;
  const model = await Model.load(options.modelPath);
  const contextSize = Math.max(256, tokens + 64);
  const rows: string[] = [];

  // 1. One SSE stream against in-process streaming, on the server's own context.
  const batched = await startServer(model, 8, contextSize, threads);
  const context = batched.server.context!;
  const sse: number[] = [];
  const local: number[] = [];
  await streamOverSse(batched.url, prompts[0]!, tokens);
  await streamInProcess(context, prompts[0]!, tokens);
  for (let repeat = 0; repeat < repeats; repeat++) {
    const sseFirst = repeat % 2 === 0;
    if (sseFirst) sse.push((await streamOverSse(batched.url, prompts[0]!, tokens)).tokensPerSecond);
    local.push(await streamInProcess(context, prompts[0]!, tokens));
    if (!sseFirst) sse.push((await streamOverSse(batched.url, prompts[0]!, tokens)).tokensPerSecond);
  }
  const sseRatio = spread(sse.map((value, index) => value / local[index]!));
  rows.push(`| one SSE stream (\`POST /generate\`) vs in-process \`context.stream\`, tokens/s | ${formatSpread(spread(sse))} | ${formatSpread(spread(local))} | ${formatSpread(sseRatio, 3)} | >= 0.95 |`);

  // 2. N concurrent clients: batched on 8 sequences, against one sequence with a queue.
  const serial = await startServer(model, 1, contextSize, threads);
  const runClients = async (url: string, clients: number) => {
    const startedAt = performance.now();
    const timings = await Promise.all(Array.from({ length: clients }, (_, index) => streamOverSse(url, prompts[index % prompts.length]!, tokens, startedAt)));
    const wallMs = performance.now() - startedAt;
    const totalTokens = timings.reduce((sum, timing) => sum + timing.tokens, 0);
    return { aggregate: (totalTokens * 1000) / wallMs, firstTokens: timings.map((timing) => timing.timeToFirstTokenMs) };
  };
  const single: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) single.push((await runClients(batched.url, 1)).aggregate);
  const singleMedian = spread(single).median;
  let eightClientsAggregateRatio = 0;
  let eightClientsFirstTokenRatio: Spread = { min: 0, median: 0, max: 0 };
  for (const clients of [1, 2, 4, 8]) {
    const aggregate: number[] = [];
    const p50: number[] = [];
    const p95: number[] = [];
    const queueAggregate: number[] = [];
    const queueP95: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const together = await runClients(batched.url, clients);
      const oneAtATime = await runClients(serial.url, clients);
      aggregate.push(together.aggregate);
      p50.push(percentile(together.firstTokens, 0.5));
      p95.push(percentile(together.firstTokens, 0.95));
      queueAggregate.push(oneAtATime.aggregate);
      queueP95.push(percentile(oneAtATime.firstTokens, 0.95));
    }
    const aggregateRatio = spread(aggregate).median / singleMedian;
    const p95Ratio = spread(p95.map((value, index) => value / queueP95[index]!));
    if (clients === 8) {
      eightClientsAggregateRatio = aggregateRatio;
      eightClientsFirstTokenRatio = p95Ratio;
    }
    rows.push(
      `| ${clients} client(s) batched, aggregate tokens/s (baseline: one at a time; ratio: to one client's ${singleMedian.toFixed(0)}) | ${formatSpread(spread(aggregate))} | ${formatSpread(spread(queueAggregate))} | ${aggregateRatio.toFixed(3)} | ${clients > 1 ? ">= 0.9" : "-"} |`,
      `| ${clients} client(s) batched, time to first token p50 / p95, ms (baseline and ratio: p95 one at a time) | ${formatSpread(spread(p50))} / ${formatSpread(spread(p95))} | ${formatSpread(spread(queueP95))} | ${formatSpread(p95Ratio, 3)} | ${clients === 8 ? "<= 0.25" : "-"} |`,
    );
  }
  await serial.server.close();
  await batched.server.close();

  // 3. A request repeating a 1,000-token prefix: cold (a fresh server) against warm.
  const prefixTokens = 1000;
  const vocabulary = model.metadata.vocabularySize;
  const prefix = Array.from({ length: prefixTokens }, (_, index) => 3 + ((index * 7919) % Math.max(1, vocabulary - 3)));
  const cold: number[] = [];
  const warm: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const fresh = await startServer(model, 1, prefixTokens + 64, threads);
    cold.push((await streamOverSse(fresh.url, [...prefix, 5], 4)).timeToFirstTokenMs);
    warm.push((await streamOverSse(fresh.url, [...prefix, 6], 4)).timeToFirstTokenMs);
    await fresh.server.close();
  }
  const prefixRatio = spread(warm.map((value, index) => value / cold[index]!));
  rows.push(`| time to first token after a ${prefixTokens}-token shared prefix, ms: warm (baseline: cold) | ${formatSpread(spread(warm))} | ${formatSpread(spread(cold))} | ${formatSpread(prefixRatio, 3)} | <= 0.1 |`);
  await model.dispose();
  return { rows, sseRatio, eightClientsAggregateRatio, eightClientsFirstTokenRatio, prefixRatio };
}
