/**
 * A tiny OpenAI-compatible engine on loopback that replays a recorded SSE transcript,
 * whatever the request asks (it ignores `stop` and `max_tokens`, like an engine that
 * mishandles them). The bytes go out in small pieces cut at seeded random places (across
 * CRLFs and inside JSON), one piece per few milliseconds, so a client meets every split.
 * It records each request, and whether the client hung up before the transcript ended.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReplayAnswer {
  /** An SSE transcript to stream with status 200. */
  transcript?: string;
  /** Otherwise an error status, with this JSON body and these headers. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket after this many bytes of the transcript (a connection reset). */
  resetAfterBytes?: number;
}

export interface ReplayRequest {
  path: string;
  body: Record<string, unknown>;
  headers: IncomingMessage["headers"];
  /** True once the client closed the connection before the whole transcript was sent. */
  hungUp: boolean;
}

export interface ReplayServer {
  url: string;
  requests: ReplayRequest[];
  /** The answers to give, in order; the last one repeats. */
  answers: ReplayAnswer[];
  close(): Promise<void>;
}

export function transcript(name: string): string {
  return readFileSync(new URL(`../fixtures/transcripts/${name}`, import.meta.url), "utf8");
}

export async function startReplayServer(models: string[], answers: ReplayAnswer[], seed = 1): Promise<ReplayServer> {
  const requests: ReplayRequest[] = [];
  let random = seed;
  const next = () => ((random = (random * 1_103_515_245 + 12_345) % 2 ** 31), random / 2 ** 31);
  const replay: ReplayServer = { url: "", requests, answers, close: async () => {} };
  const server: Server = createServer(async (request, response) => {
    if (request.method === "GET" && request.url === "/v1/models") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: models.map((id) => ({ id, object: "model" })) }));
      return;
    }
    let text = "";
    for await (const chunk of request) text += chunk;
    const record: ReplayRequest = { path: request.url ?? "", body: JSON.parse(text) as Record<string, unknown>, headers: request.headers, hungUp: false };
    requests.push(record);
    const answer = replay.answers[Math.min(requests.length - 1, replay.answers.length - 1)]!;
    if (answer.transcript === undefined) {
      response.writeHead(answer.status ?? 500, { "content-type": "application/json", ...answer.headers }).end(JSON.stringify(answer.body ?? {}));
      return;
    }
    await stream(response, Buffer.from(answer.transcript), answer.resetAfterBytes, next, record);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  replay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  replay.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return replay;
}

async function stream(response: ServerResponse, bytes: Buffer, resetAfterBytes: number | undefined, random: () => number, record: ReplayRequest): Promise<void> {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.once("close", () => (record.hungUp = !response.writableFinished));
  const end = resetAfterBytes ?? bytes.length;
  for (let at = 0; at < end; ) {
    if (response.destroyed) return;
    const size = 1 + Math.floor(random() * 40);
    response.write(bytes.subarray(at, Math.min(end, at + size)));
    at += size;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  if (resetAfterBytes !== undefined) response.socket?.destroy();
  else response.end();
}
