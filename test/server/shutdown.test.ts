/**
 * Shutdown ends every protocol the same way, in every phase of a generation: running or
 * still waiting for a sequence, each stream gets its protocol's final message naming
 * SHUTTING_DOWN (native SSE and WebSocket: `done` with `stopReason: "abort"`; OpenAI and
 * Ollama, whose finish reasons cannot say "aborted": an in-stream error).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import WebSocket from "ws";
import { metricValue, postJson, readJsonLines, readServerSentEvents, startTestServer, waitFor } from "./helpers.js";

const model = "kjv-tiny-q8_0";
const long = { temperature: 0, maxTokens: 1500 };

test("running and queued streams on every protocol end with a final message naming SHUTTING_DOWN", async () => {
  const harness = await startTestServer({ parallel: 1, contextSize: 2048, gracePeriodMs: 50 });
  const running = await postJson(`${harness.url}/generate`, { prompt: "And God said", options: long });
  const runningEvents = readServerSentEvents(running.body!);
  await runningEvents.next();
  // One sequence, held: everything below waits in line when shutdown comes.
  const socket = new WebSocket(`${harness.url.replace("http", "ws")}/ws`);
  const socketMessages: Record<string, unknown>[] = [];
  socket.on("message", (data) => socketMessages.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise((resolve) => socket.once("open", resolve));
  socket.send(JSON.stringify({ type: "generate", id: "queued", prompt: "Thou shalt", options: long }));
  const nativeQueued = await postJson(`${harness.url}/generate`, { prompt: "In the beginning", options: long });
  const openai = await postJson(`${harness.url}/v1/chat/completions`, { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1500, stream: true });
  const ollama = await postJson(`${harness.url}/api/generate`, { model, prompt: "Blessed are", options: { num_predict: 1500 } });
  await waitFor(async () => (await metricValue(harness.url, "mullama_queue_depth")) === 4, 5_000, "four queued generations");

  const closed = harness.server.close();
  const rest = async <T>(events: AsyncIterable<T>) => {
    const all: T[] = [];
    for await (const event of events) all.push(event);
    return all;
  };
  const [runningRest, nativeRest, openaiRest, ollamaRest] = await Promise.all([
    rest(runningEvents),
    rest(readServerSentEvents(nativeQueued.body!)),
    rest(readServerSentEvents(openai.body!)),
    rest(readJsonLines(ollama.body!)),
  ]);
  await closed;

  for (const [name, events] of [["running", runningRest], ["queued", nativeRest]] as const) {
    const done = events.at(-1)!;
    assert.equal(done.event, "done", name);
    const summary = JSON.parse(done.data!);
    assert.equal(summary.stopReason, "abort", name);
    assert.equal(summary.abortReason.code, "SHUTTING_DOWN", name);
  }
  assert.equal(JSON.parse(nativeRest.at(-1)!.data!).usage.completionTokens, 0, "the queued one generated nothing");
  const openaiLast = JSON.parse(openaiRest.at(-1)!.data!);
  assert.equal(openaiLast.error.code, "shutting_down");
  assert.equal(JSON.parse(openaiRest[0]!.data!).choices[0].delta.role, "assistant", "the role chunk went out while queued");
  assert.match(String(ollamaRest.at(-1)!.error), /shutting down/);
  const socketDone = socketMessages.at(-1)!;
  assert.equal(socketDone.type, "done");
  assert.equal(socketDone.stopReason, "abort");
  assert.equal((socketDone.abortReason as { code: string }).code, "SHUTTING_DOWN");
});
