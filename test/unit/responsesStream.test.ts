/**
 * The Responses API's wire format, driven by scripted parts (no model): event order and
 * sequence numbers, text before a tool call closed before the call opens, the call's
 * argument deltas concatenating to its arguments, the final response carrying the same
 * output items the events built, a length stop as `response.incomplete`, and failures
 * and shutdown cuts as one `error` event.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContentPart, StreamPart } from "../../src/generation/parts.ts";
import { RequestError } from "../../src/errors.ts";
import { completedResponse, responseEcho } from "../../src/server/routes/responsesAnswers.ts";
import { responsesStreamFormat } from "../../src/server/routes/responsesStream.ts";
import { fakeResult, textPart } from "../fixtures/fakeStreams.ts";

interface StreamEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

const echo = () => responseEcho({ model: "m", input: "hi", tools: [{ type: "function", name: "look" }] });

/** Formats `parts` and parses the SSE back into events, checking that each event's name is its type. */
function run(parts: readonly StreamPart[]): StreamEvent[] {
  const format = responsesStreamFormat(echo());
  const wire = format.opening! + parts.map((part) => format.format(part) ?? "").join("");
  return wire
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => {
      const [eventLine, dataLine] = block.split("\n");
      const event = JSON.parse(dataLine!.slice("data: ".length)) as StreamEvent;
      assert.equal(eventLine, `event: ${event.type}`);
      return event;
    });
}

const call: ContentPart[] = [
  { type: "tool-call-start", id: "call_1", name: "look" },
  { type: "tool-call-delta", id: "call_1", argumentsDelta: '{"q":' },
  { type: "tool-call-delta", id: "call_1", argumentsDelta: ' "x"}' },
  { type: "tool-call", id: "call_1", name: "look", arguments: { q: "x" }, argumentsText: '{"q": "x"}' },
];

test("text then a tool call: every event in order, numbered from 0, and the final response holds both items", () => {
  const result = { ...fakeResult("Let me look.", 5, { stopReason: "toolCalls" }), toolCalls: [{ id: "call_1", name: "look", arguments: { q: "x" }, argumentsText: '{"q": "x"}' }] };
  const events = run([textPart("Let me", 0), textPart(" look.", 1), ...call, { type: "finish", result }]);
  assert.deepEqual(
    events.map((event) => event.type),
    [
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ],
  );
  assert.deepEqual(
    events.map((event) => event.sequence_number),
    events.map((_, index) => index),
  );
  const created = events[0]!.response as { status: string; output: unknown[]; usage: unknown };
  assert.deepEqual([created.status, created.output, created.usage], ["in_progress", [], null]);
  const textDone = events[6]!;
  assert.equal(textDone.text, "Let me look.");
  const callAdded = events[9]!.item as { id: string; call_id: string; name: string; arguments: string };
  assert.deepEqual([callAdded.call_id, callAdded.name, callAdded.arguments], ["call_1", "look", ""]);
  const deltas = events.filter((event) => event.type === "response.function_call_arguments.delta");
  assert.ok(deltas.every((event) => event.item_id === callAdded.id && event.output_index === 1));
  assert.equal(deltas.map((event) => event.delta).join(""), events[12]!.arguments);
  const completed = events.at(-1)!.response as { status: string; output: { type: string; status: string }[]; usage: { output_tokens: number; total_tokens: number } };
  assert.equal(completed.status, "completed");
  assert.deepEqual(completed.output, [events[8]!.item, events[13]!.item]);
  assert.deepEqual(
    completed.output.map((item) => [item.type, item.status]),
    [
      ["message", "completed"],
      ["function_call", "completed"],
    ],
  );
  assert.deepEqual([completed.usage.output_tokens, completed.usage.total_tokens], [5, 8]);
  // The whole answer describes the same output.
  const whole = completedResponse(echo(), result);
  assert.deepEqual(
    whole.output.map((item) => ({ ...(item as object), id: undefined })),
    completed.output.map((item) => ({ ...item, id: undefined })),
  );
});

test("a length stop ends with response.incomplete, its unfinished call marked incomplete", () => {
  const events = run([...call.slice(0, 2), { type: "finish", result: fakeResult("", 4, { stopReason: "maxTokens" }) }]);
  const last = events.at(-1)!;
  assert.equal(last.type, "response.incomplete");
  const response = last.response as { status: string; incomplete_details: unknown; output: { type: string; status: string; arguments: string }[] };
  assert.deepEqual([response.status, response.incomplete_details], ["incomplete", { reason: "max_output_tokens" }]);
  assert.deepEqual(response.output.map((item) => [item.type, item.status, item.arguments]), [["function_call", "incomplete", '{"q":']]);
});

test("an answer with no text still has its empty message, as the whole answer does", () => {
  const events = run([{ type: "finish", result: fakeResult("", 0, { stopReason: "eos" }) }]);
  const response = events.at(-1)!.response as { output: { type: string; content: { text: string }[] }[] };
  assert.deepEqual(response.output.map((item) => [item.type, item.content[0]!.text]), [["message", ""]]);
  assert.deepEqual(
    events.map((event) => event.type).slice(2),
    ["response.output_item.added", "response.content_part.added", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
  );
});

test("a failure and a shutdown cut are one error event, in OpenAI's fields and nested under error", () => {
  const failed = run([textPart("a", 0), { type: "error", error: new RequestError(400, "INVALID_REQUEST", "bad thing", { param: "input" }) }]).at(-1)!;
  assert.equal(failed.type, "error");
  assert.deepEqual([failed.code, failed.message, failed.param], ["invalid_request", "bad thing", "input"]);
  assert.deepEqual(failed.error, { message: "bad thing", type: "invalid_request_error", param: "input", code: "invalid_request" });
  const cut = run([textPart("a", 0), { type: "finish", result: fakeResult("a", 1, { stopReason: "abort" }) }]);
  assert.equal(cut.at(-1)!.type, "error");
  assert.equal(cut.at(-1)!.code, "shutting_down");
  assert.ok(!cut.some((event) => event.type === "response.completed"));
});
