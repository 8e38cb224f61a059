/**
 * The HTTP sink on a real loopback socket, driven by scripted part streams: headers go out
 * before the first part, a reader that stops reading holds the generation back, and a
 * client that leaves aborts the request and stops the stream.
 */
import assert from "node:assert/strict";
import { get, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import type { StreamPart } from "../../src/generation/parts.ts";
import { StreamingResponse } from "../../src/server/streamingResponse.ts";
import { driveStream, type StreamEnd } from "../../src/streaming/driveStream.ts";
import type { WireFormat } from "../../src/streaming/transport.ts";
import type { TokenStream } from "../../src/streaming/TokenStream.ts";
import { fakeStream, type FakeSourceState } from "../fixtures/fakeStreams.ts";

/** What the next request streams, and how its drive ended. */
let next: { stream: TokenStream; state: FakeSourceState; controller: AbortController; format: WireFormat<string> };
let ended: Promise<StreamEnd>;
let app: FastifyInstance;
let url: string;

const lines: WireFormat<string> = { format: (part: StreamPart) => (part.type === "text" ? `${part.text}\n` : `${part.type}\n`) };

before(async () => {
  app = Fastify();
  app.get("/stream", async (_request, reply) => {
    const { stream, controller, format } = next;
    ended = driveStream(stream, format, StreamingResponse.open(reply, "text/plain; charset=utf-8"), { controller });
    await ended;
    return reply;
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/stream`;
});
after(() => app.close());

function prepare(texts: string[], options: { beforePart?: (index: number) => Promise<void> | undefined; format?: WireFormat<string> } = {}) {
  const controller = new AbortController();
  const made = fakeStream(texts, { signal: controller.signal, ...(options.beforePart === undefined ? {} : { beforePart: options.beforePart }) });
  next = { ...made, controller, format: options.format ?? lines };
  return next;
}

function request(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(url, resolve).on("error", reject));
}

async function body(response: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of response) text += String(chunk);
  return text;
}

test("the headers go out before the first part", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { state } = prepare(["a", "b"], { beforePart: (index) => (index === 0 ? held : undefined) });
  const response = await request();
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(response.headers["x-accel-buffering"], "no");
  assert.match(response.headers["cache-control"] ?? "", /no-cache/);
  assert.equal(state.pulled, 0, "no part was made yet");
  release();
  assert.equal(await body(response), "a\nb\nfinish\n");
  assert.equal((await ended).outcome, "completed");
});

test("a reader that stops reading holds the generation back; reading again lets it finish", async () => {
  const big = "x".repeat(256 * 1024);
  const { state } = prepare(Array.from({ length: 40 }, () => big));
  const response = await request();
  response.pause();
  await new Promise((resolve) => setTimeout(resolve, 150));
  const pulledWhilePaused = state.pulled;
  assert.ok(pulledWhilePaused < 40, `${pulledWhilePaused} of 40 parts made while nobody read`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(state.pulled, pulledWhilePaused, "nothing more is made while the socket is full");
  response.resume();
  const text = await body(response);
  assert.equal(text.length, 40 * (big.length + 1) + "finish\n".length);
  assert.equal((await ended).outcome, "completed");
});

test("a client that leaves mid-stream aborts the request and stops the stream", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { state, controller, stream } = prepare(["a", "b", "c"], { beforePart: (index) => (index === 1 ? held : undefined) });
  const response = await request();
  for await (const _chunk of response) break;
  response.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(controller.signal.aborted, true);
  release();
  const end = await ended;
  assert.equal(end.outcome, "cancelled");
  assert.equal(state.finished, true);
  assert.equal(state.pulled, 2, "the part being made when the client left was the last");
  assert.equal((await stream.result).stopReason, "abort");
});
