/** The native routes: `POST /generate` (SSE, read with fetch) and `/ws` (a `ws` client). */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { Context } from "../../src/context/Context.js";
import { metricValue, postJson, readServerSentEvents, startTestServer, waitFor, type ParsedEvent, type TestServer } from "./helpers.js";

let harness: TestServer;
let context: Context;

before(async () => {
  harness = await startTestServer({ contextSize: 1024 });
  context = harness.server.context!;
});
after(() => harness.server.close());

async function sseEvents(body: unknown): Promise<{ response: Response; events: ParsedEvent[] }> {
  const response = await postJson(`${harness.url}/generate`, body);
  const events: ParsedEvent[] = [];
  if (response.body !== null && response.headers.get("content-type")?.startsWith("text/event-stream")) {
    for await (const event of readServerSentEvents(response.body)) events.push(event);
  }
  return { response, events };
}

describe("POST /generate", () => {
  test("token events with consecutive ids, then done with stop reason, usage and timings", async () => {
    const expected = await context.generate("And God said", { temperature: 0, maxTokens: 15 });
    const { response, events } = await sseEvents({ prompt: "And God said", options: { temperature: 0, maxTokens: 15 } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    const [start, ...numbered] = events;
    assert.equal(start!.event, "start");
    assert.equal(start!.id, undefined, "the start event is not numbered: a resume does not repeat it");
    assert.equal(response.headers.get("location"), `/generate/${JSON.parse(start!.data!).id}`);
    const tokens = events.filter((event) => event.event === "token");
    const done = events.at(-1)!;
    assert.equal(done.event, "done");
    assert.deepEqual(
      numbered.map((event) => event.id),
      numbered.map((_event, index) => String(index)),
    );
    assert.equal(tokens.map((event) => JSON.parse(event.data!).text).join(""), expected.text);
    const summary = JSON.parse(done.data!);
    assert.equal(summary.stopReason, "maxTokens");
    assert.equal(summary.usage.completionTokens, 15);
    assert.equal(summary.usage.promptTokens, expected.promptTokens);
    assert.ok(summary.timings.timeToFirstTokenMs > 0);
  });

  test("stop strings never leak", async () => {
    const full = (await context.generate("And God said", { temperature: 0, maxTokens: 40 })).text;
    const { events } = await sseEvents({ prompt: "And God said", options: { temperature: 0, maxTokens: 40, stop: ["Babylon"] } });
    const text = events.filter((event) => event.event === "token").map((event) => JSON.parse(event.data!).text).join("");
    assert.equal(text, full.slice(0, full.indexOf("Babylon")));
    const summary = JSON.parse(events.at(-1)!.data!);
    assert.equal(summary.stopReason, "stop");
    assert.equal(summary.stopString, "Babylon");
  });

  test("bad options are a 400 in the native error shape, before any event", async () => {
    for (const [body, pattern] of [
      [{ prompt: "x", options: { maxTokens: -1 } }, /maxTokens/],
      [{ prompt: "x", options: { signal: "now" } }, /signal/],
      [{ prompt: 42 }, /prompt/],
      [{ prompt: [1, 2048] }, /not a token id/],
    ] as const) {
      const { response } = await sseEvents(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      assert.equal(typeof error.code, "string");
      assert.match(error.message, pattern);
    }
  });
});

/** A WebSocket client that collects messages by generation id. */
async function connect(headers: Record<string, string> = {}): Promise<{ socket: WebSocket; messages: Record<string, unknown>[]; next: (predicate: (message: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>> }> {
  const socket = new WebSocket(`${harness.url.replace("http", "ws")}/ws`, { headers });
  const messages: Record<string, unknown>[] = [];
  const waiters: { predicate: (message: Record<string, unknown>) => boolean; resolve: (message: Record<string, unknown>) => void }[] = [];
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const next = (predicate: (message: Record<string, unknown>) => boolean) => {
    const found = messages.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve) => waiters.push({ predicate, resolve }));
  };
  return { socket, messages, next };
}

describe("WebSocket /ws", () => {
  test("several generations in flight on one connection, each with its own id", async () => {
    const { socket, messages, next } = await connect();
    const prompts = { a: "And God said", b: "In the beginning", c: "The LORD is my shepherd" };
    for (const [id, prompt] of Object.entries(prompts)) socket.send(JSON.stringify({ type: "generate", id, prompt, options: { temperature: 0, maxTokens: 20 } }));
    for (const [id, prompt] of Object.entries(prompts)) {
      const done = await next((message) => message.type === "done" && message.id === id);
      const text = messages.filter((message) => message.type === "token" && message.id === id).map((message) => message.text).join("");
      assert.equal(text, (await context.generate(prompt, { temperature: 0, maxTokens: 20 })).text, id);
      assert.equal((done.usage as { completionTokens: number }).completionTokens, (await context.generate(prompt, { temperature: 0, maxTokens: 20 })).tokenCount);
    }
    socket.close();
  });

  test("cancel stops one generation within a token, with a final done", async () => {
    const { socket, messages, next } = await connect();
    socket.send(JSON.stringify({ type: "generate", id: "long", prompt: "And God said", options: { temperature: 0, maxTokens: 900 } }));
    await next((message) => message.type === "token" && message.id === "long");
    socket.send(JSON.stringify({ type: "cancel", id: "long" }));
    const done = await next((message) => message.type === "done" && message.id === "long");
    assert.equal(done.stopReason, "abort");
    const tokens = (done.usage as { completionTokens: number }).completionTokens;
    assert.ok(tokens < 900, `cancelled after ${tokens} tokens`);
    assert.equal(messages.filter((message) => message.type === "token" && message.id === "long").length > 0, true);
    await waitFor(async () => (await metricValue(harness.url, "mullama_sequences_busy")) === 0, 5_000, "the sequence to be freed");
    // Cancelling again (the messages crossed) is harmless.
    socket.send(JSON.stringify({ type: "cancel", id: "long" }));
    socket.send(JSON.stringify({ type: "generate", id: "after", prompt: "And God said", options: { temperature: 0, maxTokens: 3 } }));
    assert.equal((await next((message) => message.type === "done" && message.id === "after")).stopReason, "maxTokens");
    assert.equal(messages.filter((message) => message.type === "error").length, 0);
    socket.close();
  });

  test("bad messages get an error with the id when there is one, and the connection keeps working", async () => {
    const { socket, next } = await connect();
    socket.send("{not json");
    const malformed = await next((message) => message.type === "error");
    assert.equal(malformed.id, null);
    assert.equal((malformed.error as { code: string }).code, "INVALID_JSON");
    socket.send(JSON.stringify({ type: "generate", id: "bad", prompt: "x", options: { temperature: -1 } }));
    const invalid = await next((message) => message.type === "error" && message.id === "bad");
    assert.match((invalid.error as { message: string }).message, /temperature/);
    socket.send(JSON.stringify({ type: "summon", id: "what" }));
    const unknown = await next((message) => message.type === "error" && message.id === "what");
    assert.match((unknown.error as { message: string }).message, /generate" or "cancel/);
    socket.send(JSON.stringify({ type: "generate", id: "big", prompt: [1, 99_999] }));
    assert.match(((await next((message) => message.type === "error" && message.id === "big")).error as { message: string }).message, /not a token id/);
    socket.send(JSON.stringify({ type: "generate", id: "twice", prompt: "And God said", options: { maxTokens: 200 } }));
    socket.send(JSON.stringify({ type: "generate", id: "twice", prompt: "And God said" }));
    const duplicate = await next((message) => message.type === "error" && message.id === "twice");
    assert.equal((duplicate.error as { code: string }).code, "DUPLICATE_ID");
    await next((message) => message.type === "done" && message.id === "twice");
    socket.close();
  });

  test("closing the connection cancels its generations and frees their sequences", async () => {
    const before = await metricValue(harness.url, 'mullama_generations_total{stop_reason="abort"}');
    const { socket, next } = await connect();
    socket.send(JSON.stringify({ type: "generate", id: "1", prompt: "And God said", options: { temperature: 0, maxTokens: 900 } }));
    socket.send(JSON.stringify({ type: "generate", id: "2", prompt: "And he said", options: { temperature: 0, maxTokens: 900 } }));
    await next((message) => message.type === "token" && message.id === "1");
    await next((message) => message.type === "token" && message.id === "2");
    socket.terminate();
    await waitFor(async () => (await metricValue(harness.url, 'mullama_generations_total{stop_reason="abort"}')) === before + 2, 5_000, "two aborted generations");
    assert.equal(await metricValue(harness.url, "mullama_sequences_busy"), 0);
    assert.equal(await metricValue(harness.url, "mullama_websocket_connections"), 0);
  });

  test("GET /ws without an upgrade is a 426", async () => {
    const response = await fetch(`${harness.url}/ws`);
    assert.equal(response.status, 426);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "UPGRADE_REQUIRED");
  });

  test("a page from another origin cannot open a WebSocket", async () => {
    const socket = new WebSocket(`${harness.url.replace("http", "ws")}/ws`, { headers: { origin: "http://evil.example" } });
    const status = await new Promise<number>((resolve) => socket.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0)));
    assert.equal(status, 403);
  });
});
