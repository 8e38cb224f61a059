/**
 * How upstreamParts reads `delta.tool_calls` as engines send them: OpenAI's way (id and name
 * first, arguments in pieces), several calls told apart by index, a call sent whole in one
 * chunk (Ollama's `/v1`), a call without an id, a turn cut by `length`, broken arguments.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RemoteProtocolError } from "../../src/errors.ts";
import type { ContentPart } from "../../src/generation/parts.ts";
import { GenerationTally } from "../../src/generation/tally.ts";
import type { ReceivedEvent } from "../../src/remote/serverSentEventReader.ts";
import { upstreamParts, type UpstreamReading } from "../../src/remote/upstreamParts.ts";

const url = "http://127.0.0.1:1/v1/chat/completions";

async function* eventsOf(chunks: object[]): AsyncGenerator<ReceivedEvent, void, undefined> {
  for (const chunk of chunks) yield { event: "message", data: JSON.stringify(chunk), id: undefined };
  yield { event: "message", data: "[DONE]", id: undefined };
}

const delta = (toolCalls: object[], finish: string | null = null) => ({ choices: [{ index: 0, delta: { tool_calls: toolCalls }, finish_reason: finish }] });
const finished = (reason: string) => ({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });

async function read(chunks: object[]) {
  const reading: UpstreamReading = { url, kind: "chat", stop: [], tally: new GenerationTally(0, 0) };
  const parts: ContentPart[] = [];
  const generator = upstreamParts(eventsOf(chunks), reading, () => {});
  for (;;) {
    const step = await generator.next();
    if (step.done === true) return { parts, end: step.value, toolCalls: reading.tally.toolCalls };
    parts.push(step.value);
  }
}

test("two calls streamed in pieces, told apart by index", async () => {
  const { parts, end, toolCalls } = await read([
    delta([{ index: 0, id: "call_a", type: "function", function: { name: "lookup", arguments: "" } }]),
    delta([{ index: 0, function: { arguments: '{"book":' } }]),
    delta([{ index: 1, id: "call_b", type: "function", function: { name: "count", arguments: "" } }]),
    delta([{ index: 0, function: { arguments: '"Job"}' } }]),
    delta([{ index: 1, function: { arguments: "{}" } }]),
    finished("tool_calls"),
  ]);
  assert.deepEqual(end, { stopReason: "toolCalls" });
  assert.deepEqual(parts, [
    { type: "tool-call-start", id: "call_a", name: "lookup" },
    { type: "tool-call-delta", id: "call_a", argumentsDelta: '{"book":' },
    { type: "tool-call-start", id: "call_b", name: "count" },
    { type: "tool-call-delta", id: "call_a", argumentsDelta: '"Job"}' },
    { type: "tool-call-delta", id: "call_b", argumentsDelta: "{}" },
    { type: "tool-call", id: "call_a", name: "lookup", arguments: { book: "Job" }, argumentsText: '{"book":"Job"}' },
    { type: "tool-call", id: "call_b", name: "count", arguments: {}, argumentsText: "{}" },
  ]);
  assert.deepEqual(toolCalls.map((call) => call.id), ["call_a", "call_b"]);
});

test("a call sent whole in one chunk, without an id, gets one; no arguments are {}", async () => {
  const { parts, end } = await read([delta([{ function: { name: "lookup", arguments: '{"book":"Ruth"}' } }, { function: { name: "count" } }], "tool_calls")]);
  assert.deepEqual(end, { stopReason: "toolCalls" });
  const calls = parts.filter((part) => part.type === "tool-call");
  assert.deepEqual(calls.map((call) => [call.name, call.arguments]), [["lookup", { book: "Ruth" }], ["count", {}]]);
  assert.match(calls[0]!.id, /^call_/);
  assert.notEqual(calls[0]!.id, calls[1]!.id);
});

test("a turn cut by length makes no call", async () => {
  const { parts, end, toolCalls } = await read([delta([{ index: 0, id: "call_a", function: { name: "lookup", arguments: '{"bo' } }]), finished("length")]);
  assert.deepEqual(end, { stopReason: "maxTokens" });
  assert.equal(parts.filter((part) => part.type === "tool-call").length, 0);
  assert.deepEqual(toolCalls, []);
});

test("arguments that are not JSON are a RemoteProtocolError", async () => {
  await assert.rejects(read([delta([{ index: 0, id: "call_a", function: { name: "lookup", arguments: "{oops" } }]), finished("tool_calls")]), (error: unknown) => error instanceof RemoteProtocolError && /lookup/.test(error.message));
});
