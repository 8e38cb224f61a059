/** Shared by the server tests: a real server on the demo model, and readers for its wire formats. */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { createServer, type MullamaServer, type ServerOptions } from "../../src/server/index.js";

export interface TestServer {
  server: MullamaServer;
  url: string;
}

/** The official `openai` client for a test server: no key needed, and no retries that would hide a failure. */
export function openAiClient(server: TestServer): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
}

/** A server on 127.0.0.1, a free port, one thread (this machine has two cores). */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const server = createServer({ port: 0, threads: 1, parallel: 4, ...options });
  const { url } = await server.listen();
  return { server, url };
}

/** One parsed Server-Sent Event, or a comment line. */
export interface ParsedEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** Reads a fetch body as SSE events (comments included), in arrival order. */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ParsedEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: ParsedEvent = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) event.comment = line.slice(1).trim();
        else if (line.startsWith("event: ")) event.event = line.slice(7);
        else if (line.startsWith("id: ")) event.id = line.slice(4);
        else if (line.startsWith("data: ")) event.data = event.data === undefined ? line.slice(6) : `${event.data}\n${line.slice(6)}`;
      }
      yield event;
    }
  }
}

/** Reads a fetch body as NDJSON objects. */
export async function* readJsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n")) !== -1) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line.trim() !== "") yield JSON.parse(line) as Record<string, unknown>;
    }
  }
}

/** The value of one series in Prometheus text (`name{a="b"} 3`); 0 when absent. */
export async function metricValue(url: string, series: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers })).text();
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

/** Polls until `check` returns true; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** POSTs JSON and returns the response. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** Checks an error from the `ollama` client: it carries the HTTP status and the server's `error` text. */
export function ollamaResponseError(status: number, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.equal((error as Error & { status_code?: number }).status_code, status, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}
