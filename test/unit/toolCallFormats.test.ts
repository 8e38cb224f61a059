/**
 * The OpenAI and Ollama wire formats on scripted tool-call parts: OpenAI streams each
 * call's name first and its arguments in pieces (indexes by the order calls began), Ollama
 * sends each call whole as soon as it is complete; both end a tool turn in their own words.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ToolCall } from "../../src/generation/events.ts";
import type { StreamPart } from "../../src/generation/parts.ts";
import { ollamaStreamFormat } from "../../src/server/routes/ollamaAnswers.ts";
import { completionBody, openAiStreamFormat } from "../../src/server/routes/openaiAnswers.ts";
import type { ServedModel } from "../../src/server/servedModel.ts";
import { fakeResult } from "../fixtures/fakeStreams.ts";

const first: ToolCall = { id: "call_a", name: "weather", arguments: { city: "Zion" }, argumentsText: '{"city":"Zion"}' };
const second: ToolCall = { id: "call_b", name: "verse", arguments: {}, argumentsText: "{}" };
const result = { ...fakeResult("", 9, { stopReason: "toolCalls" }), toolCalls: [first, second] };
const parts: StreamPart[] = [
  { type: "tool-call-start", id: "call_a", name: "weather" },
  { type: "tool-call-delta", id: "call_a", argumentsDelta: '{"city":' },
  { type: "tool-call-delta", id: "call_a", argumentsDelta: '"Zion"}' },
  { type: "tool-call", ...first },
  { type: "tool-call-start", id: "call_b", name: "verse" },
  { type: "tool-call-delta", id: "call_b", argumentsDelta: "{}" },
  { type: "tool-call", ...second },
  { type: "finish", result },
];

test("OpenAI: delta.tool_calls with the name first, arguments in pieces, finish_reason tool_calls", () => {
  const format = openAiStreamFormat("chat", { id: "chatcmpl-1", created: 1, model: "m" }, false, { digest: "0123456789abcdef" } as ServedModel);
  const events = parts
    .map((part) => format.format(part))
    .filter((chunk) => chunk !== undefined)
    .flatMap((chunk) => chunk.split("\n\n").filter((event) => event.startsWith("data: ") && !event.includes("[DONE]")))
    .map((event) => JSON.parse(event.slice(6)) as { choices: { delta: { tool_calls?: unknown[] }; finish_reason: string | null }[] });
  assert.deepEqual(
    events.map((event) => event.choices[0]!.delta.tool_calls?.[0]),
    [
      { index: 0, id: "call_a", type: "function", function: { name: "weather", arguments: "" } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Zion"}' } },
      { index: 1, id: "call_b", type: "function", function: { name: "verse", arguments: "" } },
      { index: 1, function: { arguments: "{}" } },
      undefined,
    ],
  );
  assert.equal(events.at(-1)!.choices[0]!.finish_reason, "tool_calls");
  const body = completionBody("chat", { id: "chatcmpl-1", created: 1, model: "m" }, result) as { choices: { message: unknown; finish_reason: string }[] };
  assert.deepEqual(body.choices[0]!.message, {
    role: "assistant",
    content: null,
    refusal: null,
    tool_calls: [
      { id: "call_a", type: "function", function: { name: "weather", arguments: '{"city":"Zion"}' } },
      { id: "call_b", type: "function", function: { name: "verse", arguments: "{}" } },
    ],
  });
  assert.equal(body.choices[0]!.finish_reason, "tool_calls");
});

test("Ollama: each call in a line of its own as soon as it is complete, then done", () => {
  const format = ollamaStreamFormat({
    model: "m",
    piece: (text) => ({ message: { role: "assistant", content: text } }),
    toolCall: (call) => ({ message: { role: "assistant", content: "", tool_calls: [{ function: { name: call.name, arguments: call.arguments } }] } }),
    final: () => ({ message: { role: "assistant", content: "" } }),
    whole: () => ({}),
  });
  const lines = parts.map((part) => format.format(part));
  // Nothing for the start and the deltas: a line for each complete call.
  assert.deepEqual(lines.map((line) => line === undefined), [true, true, true, false, true, true, false, false]);
  const calls = [lines[3], lines[6]].map((line) => (JSON.parse(line!) as { message: { tool_calls: unknown[] }; done: boolean }));
  assert.deepEqual(calls.map((call) => [call.done, call.message.tool_calls]), [
    [false, [{ function: { name: "weather", arguments: { city: "Zion" } } }]],
    [false, [{ function: { name: "verse", arguments: {} } }]],
  ]);
  const last = JSON.parse(lines[7]!) as { done: boolean; done_reason: string };
  assert.deepEqual([last.done, last.done_reason], [true, "stop"]);
});
