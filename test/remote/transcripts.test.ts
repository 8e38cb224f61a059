/**
 * Context.connect against vLLM's and Ollama's `/v1` streams (recorded transcripts with
 * their extra fields, replayed on loopback in pieces cut at random places), and against
 * an engine that misbehaves: ignores stop strings, splits a surrogate pair, sends a bad
 * chunk, resets the connection, is busy or failing. No model needed.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  Context,
  RemoteBusyError,
  RemoteConnectionError,
  RemoteModelNotFoundError,
  RemoteProtocolError,
  RemoteRequestError,
  RemoteServerError,
  type StreamPart,
} from "../../src/index.ts";
import { startReplayServer, transcript, type ReplayAnswer, type ReplayServer } from "../helpers/replayServer.ts";
import { waitFor } from "../server/helpers.ts";

let replay: ReplayServer | undefined;
afterEach(() => replay?.close());

const fastRetry = { retries: 2, initialDelayMs: 5, maxDelayMs: 50 };

async function connect(answers: ReplayAnswer[], options: Parameters<typeof Context.connect>[1] = {}) {
  replay = await startReplayServer(["engine-model"], answers);
  return Context.connect(replay.url, { retry: fastRetry, ...options });
}

function sse(...payloads: unknown[]): string {
  return payloads.map((payload) => `data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`).join("");
}

const textChunk = (text: string, finish: string | null = null) => ({ id: "cmpl-1", object: "text_completion", choices: [{ index: 0, text, finish_reason: finish }] });

describe("recorded engine streams", () => {
  test("vLLM completions: stop_reason names the stop string; usage comes from the last chunk", async () => {
    const remote = await connect([{ transcript: transcript("vllm-completions.sse") }], { apiKey: "key-1", headers: { "x-tenant": "blue" } });
    const result = await remote.generate("And", { temperature: 0, maxTokens: 32, stop: "," });
    assert.equal(result.text, " the LORD God formed man of the dust of the ground");
    assert.equal(result.stopReason, "stop");
    assert.equal(result.stopString, ",");
    assert.deepEqual([result.promptTokens, result.tokenCount, result.cachedPromptTokens], [6, 12, 4]);
    const request = replay!.requests[0]!;
    assert.equal(request.path, "/v1/completions");
    assert.equal(request.headers.authorization, "Bearer key-1");
    assert.equal(request.headers["x-tenant"], "blue");
    assert.deepEqual({ ...request.body, seed: 0 }, { model: "engine-model", prompt: "And", stream: true, stream_options: { include_usage: true }, max_tokens: 32, temperature: 0, top_p: 0.95, seed: 0, stop: [","] });
  });

  test("vLLM chat: the role chunk and empty deltas add nothing; the emoji arrives whole", async () => {
    const remote = await connect([{ transcript: transcript("vllm-chat.sse") }]);
    const pieces: string[] = [];
    for await (const event of remote.chat([{ role: "user", content: "Begin." }], { temperature: 0 })) pieces.push(event.text);
    assert.equal(pieces.join(""), "In the beginning God created the heaven and the earth. 🌍");
    assert.ok(pieces.every((piece) => piece.isWellFormed()));
    assert.equal(replay!.requests[0]!.path, "/v1/chat/completions");
    assert.deepEqual(replay!.requests[0]!.body.messages, [{ role: "user", content: "Begin." }]);
  });

  test("chat takes context.chat's messages: tool calls and results go out in OpenAI's words, and so do offered tools", async () => {
    const remote = await connect([{ transcript: transcript("vllm-chat.sse") }]);
    const messages = [
      { role: "user" as const, content: "Weather in Paris?" },
      { role: "assistant" as const, content: "", toolCalls: [{ id: "call_1", name: "weather", arguments: { city: "Paris" } }] },
      { role: "tool" as const, toolCallId: "call_1", content: "sunny" },
    ];
    await remote.chat(messages).text();
    assert.deepEqual(replay!.requests[0]!.body.messages, [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: "", tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ]);
    const weather = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    await remote.chat(messages, { tools: { weather: { description: "Today's weather", parameters: weather } }, toolChoice: { name: "weather" } }).text();
    assert.deepEqual(replay!.requests[1]!.body.tools, [{ type: "function", function: { name: "weather", description: "Today's weather", parameters: weather } }]);
    assert.deepEqual(replay!.requests[1]!.body.tool_choice, { type: "function", function: { name: "weather" } });
    assert.throws(() => remote.chat([{ role: "tool", toolCallId: "nowhere", content: "x" }]), /messages/);
  });

  test("Ollama chat ignores stop: mullama stops anyway, never emits it, and hangs up", async () => {
    const remote = await connect([{ transcript: transcript("ollama-chat.sse") }]);
    const stream = remote.chat([{ role: "user", content: "Genesis 1:3" }], { stop: ["light"] });
    const parts: StreamPart[] = [];
    for await (const part of stream.parts()) parts.push(part);
    const text = parts.map((part) => (part.type === "text" ? part.text : "")).join("");
    assert.equal(text, "And God said, Let there be ");
    assert.deepEqual(parts.at(-1), { type: "finish", result: await stream.result });
    assert.equal((await stream.result).stopString, "light");
    await waitFor(() => replay!.requests[0]!.hungUp, 2_000, "the engine to see the client leave");
  });

  test("a stop string split across chunks is caught whole; finish_reason length is maxTokens", async () => {
    const remote = await connect([{ transcript: transcript("ollama-completions.sse") }]);
    const stopped = await remote.generate("The word", { stop: "LORD came" });
    assert.equal(stopped.text, " of the ");
    assert.equal(stopped.stopReason, "stop");
    const whole = await remote.generate("The word", { maxTokens: 8 });
    assert.equal(whole.text, " of the LORD came unto me, saying");
    assert.equal(whole.stopReason, "maxTokens");
    assert.equal(whole.tokenCount, 8, "without a usage chunk, each content chunk counts as a token");
  });

  test("a surrogate pair split across chunks comes out whole", async () => {
    const split = `data: {"choices":[{"index":0,"text":"ab\\ud83d","finish_reason":null}]}\n\ndata: {"choices":[{"index":0,"text":"\\ude00c","finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`;
    const remote = await connect([{ transcript: split }]);
    const pieces: string[] = [];
    for await (const event of remote.stream("x")) pieces.push(event.text);
    assert.deepEqual(pieces, ["ab", "\u{1F600}c"]);
  });
});

describe("engine failures", () => {
  test("a chunk that is not JSON is a RemoteProtocolError, not retried", async () => {
    const remote = await connect([{ transcript: "data: {not json\n\n" }]);
    await assert.rejects(remote.generate("x"), (error: unknown) => error instanceof RemoteProtocolError && error.code === "REMOTE_PROTOCOL_ERROR");
    assert.equal(replay!.requests.length, 1);
  });

  test("429 with a short Retry-After is retried; a long one is not", async () => {
    const busy = { status: 429, body: { error: { message: "rate limited" } } };
    let remote = await connect([{ ...busy, headers: { "retry-after": "0" } }, { transcript: sse(textChunk("ok", "stop"), "[DONE]") }]);
    assert.equal((await remote.generate("x")).text, "ok");
    assert.equal(replay!.requests.length, 2);
    await replay!.close();
    remote = await connect([{ ...busy, headers: { "retry-after": "120" } }]);
    await assert.rejects(remote.generate("x"), (error: unknown) => error instanceof RemoteBusyError && error.retryAfterMs === 120_000 && /rate limited/.test(error.message));
    assert.equal(replay!.requests.length, 1);
  });

  test("5xx is retried with backoff, then thrown as RemoteServerError", async () => {
    const remote = await connect([{ status: 502, body: { error: "bad gateway" } }]);
    await assert.rejects(remote.generate("x"), (error: unknown) => error instanceof RemoteServerError && error.status === 502 && /bad gateway/.test(error.message));
    assert.equal(replay!.requests.length, 3);
  });

  test("404 per request is RemoteModelNotFoundError; other 4xx is RemoteRequestError; neither retried", async () => {
    let remote = await connect([{ status: 404, body: { error: { message: "The model `engine-model` does not exist." } } }]);
    await assert.rejects(remote.generate("x"), (error: unknown) => error instanceof RemoteModelNotFoundError && error.model === "engine-model");
    assert.equal(replay!.requests.length, 1);
    await replay!.close();
    remote = await connect([{ status: 400, body: { error: { message: "max_tokens is too large" } } }]);
    await assert.rejects(remote.generate("x"), (error: unknown) => error instanceof RemoteRequestError && error.code === "REMOTE_REJECTED");
  });

  test("a reset before the first token is retried; after it, the error ends the stream and the text stays", async () => {
    const whole = transcript("ollama-completions.sse");
    let remote = await connect([{ transcript: whole, resetAfterBytes: 30 }, { transcript: whole }]);
    assert.equal((await remote.generate("x", { maxTokens: 8 })).text, " of the LORD came unto me, saying");
    await replay!.close();
    const cut = whole.indexOf(" LORD") + 200;
    remote = await connect([{ transcript: whole, resetAfterBytes: cut }, { transcript: whole }]);
    const stream = remote.stream("x");
    const parts: StreamPart[] = [];
    for await (const part of stream.parts()) parts.push(part);
    const last = parts.at(-1);
    assert.equal(last?.type, "error");
    assert.ok(last?.type === "error" && last.error instanceof RemoteConnectionError);
    assert.ok(parts.some((part) => part.type === "text"));
    assert.equal(replay!.requests.length, 1, "no retry once text was delivered");
  });

  test("an error event mid-stream is a RemoteServerError; a stream cut without its finish is a RemoteConnectionError", async () => {
    let remote = await connect([{ transcript: sse(textChunk("a"), { error: { message: "engine overloaded", type: "server_error" } }) }]);
    await assert.rejects(remote.generate("x"), (error: unknown) => error instanceof RemoteServerError && /engine overloaded/.test(error.message));
    await replay!.close();
    remote = await connect([{ transcript: sse(textChunk("a")) }], { retry: { retries: 0 } });
    await assert.rejects(remote.generate("x"), (error: unknown) => error instanceof RemoteConnectionError && /before the answer finished/.test(error.message));
  });
});
