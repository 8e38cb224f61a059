/**
 * An engine that fails in the middle of a generation, on the real path: the engine's own
 * token generator (node-llama-cpp's `LlamaContextSequence.evaluate`) is made to throw
 * after a few tokens, for this test only. Every protocol ends its stream in its own error
 * shape with the same safe message, the engine's words stay in the log, and the server
 * goes on serving.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { LlamaContextSequence } from "node-llama-cpp";
import WebSocket from "ws";
import { metricValue, postJson, readJsonLines, readServerSentEvents, startTestServer, waitFor, type TestServer, openAiClient } from "./helpers.js";

const model = "kjv-tiny-q8_0";
const secret = "ggml_decode failed at 0xdeadbeef";
const safeMessage = "Internal server error";

/** The engine fails at its fourth token while armed. */
let armed = false;
const realEvaluate = LlamaContextSequence.prototype.evaluate;
LlamaContextSequence.prototype.evaluate = function evaluate(this: LlamaContextSequence, ...args: Parameters<typeof realEvaluate>) {
  const tokens = realEvaluate.apply(this, args);
  if (!armed) return tokens;
  return (async function* failing() {
    let count = 0;
    for await (const token of tokens) {
      if (++count === 4) throw new Error(secret);
      yield token;
    }
  })();
};

const logLines: string[] = [];
let harness: TestServer;
before(async () => {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  harness = await startTestServer({ parallel: 2, logger: { level: "info", stream } });
  armed = true;
});
after(async () => {
  armed = false;
  LlamaContextSequence.prototype.evaluate = realEvaluate;
  await harness.server.close();
});

const generation = { temperature: 0, max_tokens: 50 };

test("OpenAI: a data event with a top-level error, the same safe message, nothing after it", async () => {
  for (const [path, body] of [
    ["/v1/completions", { model, prompt: "And God said", stream: true, ...generation }],
    ["/v1/chat/completions", { model, messages: [{ role: "user", content: "And God said" }], stream: true, ...generation }],
  ] as const) {
    const events = [];
    for await (const event of readServerSentEvents((await postJson(`${harness.url}${path}`, body)).body!)) events.push(event);
    const last = JSON.parse(events.at(-1)!.data!) as { error: Record<string, unknown> };
    assert.deepEqual(last, { error: { message: safeMessage, type: "server_error", param: null, code: "generation_failed" } }, path);
    assert.ok(events.length > 2, "text came before the failure");
    assert.ok(!events.some((event) => event.data === "[DONE]"));
  }
  // The official client reports it as an error of the stream.
  const client = openAiClient(harness);
  await assert.rejects(async () => {
    for await (const _chunk of await client.completions.create({ model, prompt: "And God said", stream: true, ...generation }));
  }, new RegExp(safeMessage));
});

test("Ollama: an error line with the same safe message", async () => {
  for (const [path, body] of [
    ["/api/generate", { model, prompt: "And God said", options: { temperature: 0, num_predict: 50 } }],
    ["/api/chat", { model, messages: [{ role: "user", content: "And God said" }], options: { temperature: 0, num_predict: 50 } }],
  ] as const) {
    const lines = [];
    for await (const line of readJsonLines((await postJson(`${harness.url}${path}`, body)).body!)) lines.push(line);
    assert.deepEqual(lines.at(-1), { error: safeMessage }, path);
    assert.ok(lines.length > 1 && lines.slice(0, -1).every((line) => line.done === false));
  }
});

test("native SSE: an error event with the same safe message", async () => {
  const events = [];
  const response = await postJson(`${harness.url}/generate`, { prompt: "And God said", options: { temperature: 0, maxTokens: 50 } });
  for await (const event of readServerSentEvents(response.body!)) events.push(event);
  assert.equal(events.at(-1)!.event, "error");
  assert.deepEqual(JSON.parse(events.at(-1)!.data!), { error: { code: "GENERATION_FAILED", message: safeMessage } });
  assert.equal(events.filter((event) => event.event === "token").length, 3);
});

test("WebSocket: an error message with the same safe message; the connection stays open", async () => {
  const socket = new WebSocket(`${harness.url.replace("http", "ws")}/ws`);
  const messages: Record<string, unknown>[] = [];
  socket.on("message", (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise((resolve) => socket.once("open", resolve));
  socket.send(JSON.stringify({ type: "generate", id: "f", prompt: "And God said", options: { temperature: 0, maxTokens: 50 } }));
  await waitFor(() => messages.some((message) => message.type === "error"), 10_000, "the error message");
  assert.deepEqual(messages.at(-1), { type: "error", id: "f", error: { code: "GENERATION_FAILED", message: safeMessage } });
  armed = false;
  try {
    socket.send(JSON.stringify({ type: "generate", id: "after", prompt: "And God said", options: { temperature: 0, maxTokens: 3 } }));
    await waitFor(() => messages.some((message) => message.type === "done" && message.id === "after"), 10_000, "the next generation");
  } finally {
    armed = true;
    socket.close();
  }
});

test("the engine's words are in the log and nowhere else; the server keeps serving with every sequence free", async () => {
  const failures = logLines.filter((line) => line.includes('"level":50'));
  assert.ok(failures.length >= 6, `${failures.length} failures logged`);
  assert.ok(failures.every((line) => line.includes(secret)), "each failure is logged with the engine's message");
  assert.equal(await metricValue(harness.url, "mullama_sequences_busy"), 0);
  armed = false;
  try {
    const answer = (await (await postJson(`${harness.url}/v1/completions`, { model, prompt: "And God said", max_tokens: 5, temperature: 0 })).json()) as { choices: { finish_reason: string }[] };
    assert.equal(answer.choices[0]!.finish_reason, "length");
  } finally {
    armed = true;
  }
});
