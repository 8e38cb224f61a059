/**
 * Many clients at once: batched greedy streams give the same text as one at a time,
 * a client that leaves frees its sequence, a full queue answers 503 with Retry-After,
 * idle streams get keep-alives, and shutdown lets streams finish or ends them with a final event.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ollama } from "ollama";
import WebSocket from "ws";
import { metricValue, postJson, readJsonLines, readServerSentEvents, startTestServer, waitFor, type TestServer, openAiClient } from "./helpers.js";

const model = "kjv-tiny-q8_0";
const prompts = ["And God said", "In the beginning", "The LORD is my shepherd", "And Jesus said", "Blessed are", "And it came to pass", "Thou shalt", "Let there be"];

describe("a server with 4 parallel sequences", () => {
  let harness: TestServer;
  before(async () => {
    // A resume window of 0: a native SSE stream whose client leaves is cancelled at once, as
    // on the other protocols (with a window it goes on for a resume: test/server/resumable.test.ts).
    harness = await startTestServer({ parallel: 4, contextSize: 1024, resumeWindowMs: 0 });
  });
  after(() => harness.server.close());

  test("eight concurrent greedy streams return the same texts as eight sequential ones", async () => {
    const client = openAiClient(harness);
    const streamText = async (prompt: string) => {
      let text = "";
      for await (const chunk of await client.completions.create({ model, prompt, max_tokens: 32, temperature: 0, stream: true })) text += chunk.choices[0]?.text ?? "";
      return text;
    };
    const sequential = [];
    for (const prompt of prompts) sequential.push(await streamText(prompt));
    const before = await metricValue(harness.url, "mullama_time_to_first_token_seconds_count");
    const concurrent = await Promise.all(prompts.map(streamText));
    assert.deepEqual(concurrent, sequential);
    assert.ok(sequential.every((text) => text.length > 0));
    assert.equal(await metricValue(harness.url, "mullama_time_to_first_token_seconds_count"), before + 8);
    assert.ok((await metricValue(harness.url, "mullama_inter_token_latency_seconds_count")) > 0);
  });

  const transports: [string, (signal: AbortSignal) => Promise<AsyncGenerator<unknown>>][] = [
    ["OpenAI SSE", async (signal) => readServerSentEvents((await postJson(`${harness.url}/v1/completions`, { model, prompt: "And God said", max_tokens: 900, temperature: 0, stream: true }, {}, signal)).body!)],
    ["Ollama NDJSON", async (signal) => readJsonLines((await postJson(`${harness.url}/api/generate`, { model, prompt: "And God said", options: { num_predict: 900, temperature: 0 } }, {}, signal)).body!)],
    ["native SSE", async (signal) => readServerSentEvents((await postJson(`${harness.url}/generate`, { prompt: "And God said", options: { maxTokens: 900, temperature: 0 } }, {}, signal)).body!)],
  ];
  for (const [name, open] of transports) {
    test(`a client aborting mid-stream (${name}) cancels its generation and frees its sequence`, async () => {
      const abortsBefore = await metricValue(harness.url, 'mullama_generations_total{stop_reason="abort"}');
      const tokensBefore = await metricValue(harness.url, "mullama_generated_tokens_total");
      const controller = new AbortController();
      const events = await open(controller.signal);
      await events.next();
      await events.next();
      assert.equal(await metricValue(harness.url, "mullama_sequences_busy"), 1);
      controller.abort();
      await events.return(undefined).catch(() => {});
      await waitFor(async () => (await metricValue(harness.url, "mullama_sequences_busy")) === 0, 5_000, "the sequence to be freed");
      assert.equal(await metricValue(harness.url, 'mullama_generations_total{stop_reason="abort"}'), abortsBefore + 1);
      const generated = (await metricValue(harness.url, "mullama_generated_tokens_total")) - tokensBefore;
      assert.ok(generated < 900, `generated ${generated} tokens after the client left`);
    });
  }
});

describe("a non-streamed request whose client leaves", () => {
  test("is cancelled too, and frees its sequence", async () => {
    const harness = await startTestServer({ parallel: 1, contextSize: 1024 });
    try {
      const controller = new AbortController();
      const request = postJson(`${harness.url}/api/generate`, { model, prompt: "And God said", stream: false, options: { num_predict: 900, temperature: 0 } }, {}, controller.signal);
      await waitFor(async () => (await metricValue(harness.url, "mullama_sequences_busy")) === 1, 5_000, "the generation to start");
      controller.abort();
      await assert.rejects(request);
      await waitFor(async () => (await metricValue(harness.url, 'mullama_generations_total{stop_reason="abort"}')) === 1, 5_000, "the generation to be cancelled");
      assert.equal(await metricValue(harness.url, "mullama_sequences_busy"), 0);
      assert.ok((await metricValue(harness.url, "mullama_generated_tokens_total")) < 900);
    } finally {
      await harness.server.close();
    }
  });
});

describe("a server with 1 sequence and a queue of 1", () => {
  let harness: TestServer;
  before(async () => {
    harness = await startTestServer({ parallel: 1, maxQueue: 1, keepAliveIntervalMs: 40 });
  });
  after(() => harness.server.close());

  test("requests beyond the queue get 503 with Retry-After; queued ones get headers and keep-alives, then their tokens", async () => {
    // Hold the only sequence in-process: the stream pauses after one token (generation is pull-based).
    const holder = harness.server.context!.stream("And God said", { temperature: 0, maxTokens: 100 })[Symbol.asyncIterator]();
    await holder.next();
    const first = await postJson(`${harness.url}/generate`, { prompt: "In the beginning", options: { temperature: 0, maxTokens: 5 } });
    assert.equal(first.status, 200, "queued requests get their headers at once");
    const second = postJson(`${harness.url}/v1/completions`, { model, prompt: "Blessed are", max_tokens: 5, temperature: 0, stream: true });
    await waitFor(async () => (await metricValue(harness.url, "mullama_queue_depth")) === 2, 5_000, "two queued generations");

    const refused = await postJson(`${harness.url}/v1/chat/completions`, { model, messages: [{ role: "user", content: "hi" }] });
    assert.equal(refused.status, 503);
    assert.match(refused.headers.get("retry-after")!, /^[1-9]\d*$/);
    const body = (await refused.json()) as { error: { type: string; code: string } };
    assert.equal(body.error.code, "server_busy");
    assert.equal(body.error.type, "server_error");
    const refusedOllama = await new Ollama({ host: harness.url }).generate({ model, prompt: "hi", stream: false }).catch((error: unknown) => error);
    assert.equal((refusedOllama as { status_code?: number }).status_code, 503);

    // The queued stream is idle: keep-alive comments arrive before any token.
    const events = readServerSentEvents(first.body!);
    assert.equal((await events.next()).value!.event, "start", "the stream's id comes first");
    const opening = (await events.next()).value!;
    assert.equal(opening.comment, "keep-alive");

    await holder.return!(undefined);
    const rest = [];
    for await (const event of events) if (event.comment === undefined) rest.push(event);
    assert.equal(rest.at(-1)!.event, "done");
    assert.equal(JSON.parse(rest.at(-1)!.data!).stopReason, "maxTokens");
    const secondEvents = [];
    for await (const event of readServerSentEvents((await second).body!)) if (event.comment === undefined) secondEvents.push(event);
    assert.equal(secondEvents.at(-1)!.data, "[DONE]");
    assert.equal(await metricValue(harness.url, 'mullama_http_requests_total{method="POST",route="/v1/chat/completions",status="503"}'), 1);
  });
});

describe("graceful shutdown", () => {
  test("a running stream finishes within the grace period", async () => {
    const harness = await startTestServer({ parallel: 2, gracePeriodMs: 10_000 });
    const response = await postJson(`${harness.url}/generate`, { prompt: "And God said", options: { temperature: 0, maxTokens: 100 } });
    const events = readServerSentEvents(response.body!);
    await events.next();
    const closed = harness.server.close();
    const rest = [];
    for await (const event of events) rest.push(event);
    await closed;
    assert.equal(JSON.parse(rest.at(-1)!.data!).stopReason, "maxTokens");
    assert.equal(harness.server.phase, "closed");
    await assert.rejects(fetch(`${harness.url}/health`));
  });

  test("streams still running after the grace period end with a final event", async () => {
    const harness = await startTestServer({ parallel: 3, contextSize: 2048, gracePeriodMs: 50 });
    const socket = new WebSocket(`${harness.url.replace("http", "ws")}/ws`);
    const socketMessages: Record<string, unknown>[] = [];
    socket.on("message", (data) => socketMessages.push(JSON.parse(String(data)) as Record<string, unknown>));
    const socketClosed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "generate", id: "w", prompt: "Thou shalt", options: { temperature: 0, maxTokens: 1900 } }));
    await waitFor(() => socketMessages.length > 0, 5_000, "a first WebSocket token");
    const native = await postJson(`${harness.url}/generate`, { prompt: "And God said", options: { temperature: 0, maxTokens: 1900 } });
    const openai = await postJson(`${harness.url}/v1/completions`, { model, prompt: "And he said", max_tokens: 1900, temperature: 0, stream: true });
    const nativeEvents = readServerSentEvents(native.body!);
    const openaiEvents = readServerSentEvents(openai.body!);
    await nativeEvents.next();
    await openaiEvents.next();
    const started = performance.now();
    const closed = harness.server.close();
    const nativeRest = [];
    for await (const event of nativeEvents) nativeRest.push(event);
    const openaiRest = [];
    for await (const event of openaiEvents) openaiRest.push(event);
    await closed;
    assert.ok(performance.now() - started < 1_500, "cancelled soon after the grace period");
    assert.equal(nativeRest.at(-1)!.event, "done");
    assert.equal(JSON.parse(nativeRest.at(-1)!.data!).stopReason, "abort");
    const openaiLast = JSON.parse(openaiRest.at(-1)!.data!);
    assert.equal(openaiLast.error.code, "shutting_down");
    assert.equal(await socketClosed, 1001);
    const socketDone = socketMessages.at(-1)!;
    assert.equal(socketDone.type, "done");
    assert.equal(socketDone.stopReason, "abort");
    assert.equal(harness.server.context!.disposed, true);
  });
});
