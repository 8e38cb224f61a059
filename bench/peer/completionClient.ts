/**
 * The one client of the peer benchmark: an OpenAI `/v1/completions` streaming request over
 * plain node:http, the same bytes to `mullama serve` and to `llama-server`, greedy, with
 * `stream_options.include_usage` so each side says how many tokens it generated. Times
 * are taken where the text arrives. Each request has a connection of its own: a request
 * sent on a reused keep-alive connection to llama-server failed with "socket hang up" after
 * its streamed answers (both sides pay the same loopback connect).
 */
import { request } from "node:http";

export interface CompletionTiming {
  /** Tokens the server says it generated (usage.completion_tokens). */
  tokens: number;
  /** From the moment the request was sent (or `startedAt`) to the first text. */
  firstTokenMs: number;
  totalMs: number;
  /** Tokens after the first over the time from the first text to the last. */
  decodeTokensPerSecond: number;
}

interface CompletionChunk {
  choices?: { text?: string }[];
  usage?: { completion_tokens?: number } | null;
}

/** Streams one completion of `maxTokens` tokens and times it; rejects on any failure or a short answer. */
export function streamCompletion(baseUrl: string, prompt: readonly number[], maxTokens: number, startedAt = performance.now()): Promise<CompletionTiming> {
  const body = JSON.stringify({ model: "bench", prompt, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } });
  return new Promise((resolve, reject) => {
    const call = request(`${baseUrl}/v1/completions`, { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (response) => {
      let firstAt = 0;
      let lastAt = 0;
      let tokens: number | undefined;
      let carry = "";
      let failure: string | undefined;
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        const lines = (carry + chunk).split("\n");
        carry = lines.pop() ?? "";
        for (const line of lines) {
          if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
          let parsed: CompletionChunk & { error?: unknown };
          try {
            parsed = JSON.parse(line.slice("data: ".length)) as CompletionChunk & { error?: unknown };
          } catch {
            failure = `not JSON: ${line.slice(0, 200)}`;
            continue;
          }
          if (parsed.error !== undefined) failure = JSON.stringify(parsed.error);
          if (parsed.choices?.some((choice) => (choice.text ?? "") !== "")) {
            lastAt = performance.now();
            if (firstAt === 0) firstAt = lastAt;
          }
          if (typeof parsed.usage?.completion_tokens === "number") tokens = parsed.usage.completion_tokens;
        }
      });
      response.on("end", () => {
        const endedAt = performance.now();
        if (response.statusCode !== 200) return reject(new Error(`${baseUrl}: status ${response.statusCode}`));
        if (failure !== undefined) return reject(new Error(`${baseUrl}: ${failure}`));
        if (tokens !== maxTokens || firstAt === 0) return reject(new Error(`${baseUrl}: ${tokens ?? "no usage, so unknown"} of ${maxTokens} tokens`));
        const decodeMs = lastAt - firstAt;
        resolve({ tokens, firstTokenMs: firstAt - startedAt, totalMs: endedAt - startedAt, decodeTokensPerSecond: decodeMs > 0 ? ((tokens - 1) * 1000) / decodeMs : Number.NaN });
      });
      response.on("error", reject);
    });
    call.on("error", reject);
    call.end(body);
  });
}
