/**
 * `POST /v1/responses` through the official `openai` client's `responses.create`, on the
 * demo model: plain and streamed text (greedy streamed equals whole), JSON schemas that
 * validate (ajv), forced function calls whose streamed argument deltas add up to the call,
 * a function_call_output answered in a follow-up, the fields accepted and ignored, and
 * the fields refused by name while the server keeps serving.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import OpenAI, { APIError } from "openai";
import type { FunctionTool, ResponseFunctionToolCall, ResponseInputItem, ResponseStreamEvent } from "openai/resources/responses/responses";
import { postJson, startTestServer, type TestServer, openAiClient } from "./helpers.js";

let harness: TestServer;
let client: OpenAI;
const model = "kjv-tiny-q8_0";
const ajv = new Ajv({ strict: false });

before(async () => {
  harness = await startTestServer({ contextSize: 1024, parallel: 2 });
  client = openAiClient(harness);
});
after(() => harness.server.close());

// The demo model never writes a quote mark: strings need a maxLength to end.
const weather = { type: "object", properties: { city: { type: "string", maxLength: 12 }, days: { type: "integer" } }, required: ["city", "days"], additionalProperties: false };
const tools: FunctionTool[] = [
  { type: "function", name: "weather", description: "The weather in a city", parameters: weather, strict: true },
  { type: "function", name: "verse", description: "Look up a verse", parameters: { type: "object", properties: { book: { enum: ["Genesis", "Exodus"] } }, required: ["book"] }, strict: false },
];

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe("text", () => {
  test("a plain response: one message, its text in output_text, usage counted; greedy streamed equals whole", async () => {
    const request = { model, instructions: "Speak as the prophets.", input: "Hello", temperature: 0, max_output_tokens: 24 };
    const whole = await client.responses.create(request);
    assert.match(whole.id, /^resp_/);
    assert.equal(whole.object, "response");
    assert.equal(whole.output.length, 1);
    const message = whole.output[0]!;
    assert.equal(message.type, "message");
    assert.ok(message.type === "message" && message.content[0]!.type === "output_text");
    assert.ok(whole.output_text.length > 0, "the demo model says something to Hello");
    assert.equal(whole.output_text, message.content[0]!.type === "output_text" ? message.content[0]!.text : "");
    const usage = whole.usage!;
    assert.ok(usage.input_tokens > 5 && usage.output_tokens > 0);
    assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    assert.equal((whole as unknown as Record<string, unknown>).store, false, "nothing is stored");

    const events = await collect(await client.responses.create({ ...request, stream: true }));
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    assert.deepEqual(
      events.slice(0, 4).map((event) => event.type),
      ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"],
    );
    const deltas = events.flatMap((event) => (event.type === "response.output_text.delta" ? [event.delta] : []));
    assert.ok(deltas.length > 1, "the text arrives in pieces");
    assert.equal(deltas.join(""), whole.output_text);
    const done = events.find((event) => event.type === "response.output_text.done");
    assert.equal(done?.type === "response.output_text.done" && done.text, whole.output_text);
    const last = events.at(-1)!;
    assert.ok(last.type === "response.completed" || last.type === "response.incomplete");
    assert.equal(last.response.status, whole.status);
    // Usage matches, but for the prompt now in the cache.
    assert.deepEqual([last.response.usage!.input_tokens, last.response.usage!.output_tokens], [usage.input_tokens, usage.output_tokens]);
  });

  test("max_output_tokens cuts the answer: status incomplete, reason max_output_tokens, streamed as response.incomplete", async () => {
    const request = { model, input: "Tell of the flood", temperature: 0, max_output_tokens: 3 };
    const whole = await client.responses.create(request);
    assert.equal(whole.status, "incomplete");
    assert.deepEqual(whole.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(whole.usage!.output_tokens, 3);
    const events = await collect(await client.responses.create({ ...request, stream: true }));
    assert.equal(events.at(-1)!.type, "response.incomplete");
  });

  test("text.format json_schema and json_object: the text parses and validates, streamed and not", async () => {
    const schema = { type: "object", properties: { name: { type: "string", maxLength: 10 }, age: { type: "integer" } }, required: ["name", "age"], additionalProperties: false };
    const validate = ajv.compile(schema);
    for (const temperature of [0, 1]) {
      const whole = await client.responses.create({ model, input: "Describe a prophet.", temperature, max_output_tokens: 100, text: { format: { type: "json_schema", name: "prophet", schema, strict: true } } });
      assert.ok(validate(JSON.parse(whole.output_text)), whole.output_text);
    }
    const events = await collect(await client.responses.create({ model, input: "Describe a prophet.", max_output_tokens: 100, stream: true, text: { format: { type: "json_schema", name: "prophet", schema } } }));
    const text = events.flatMap((event) => (event.type === "response.output_text.delta" ? [event.delta] : [])).join("");
    assert.ok(validate(JSON.parse(text)), text);
    const object = await client.responses.create({ model, input: "Any object.", max_output_tokens: 60, text: { format: { type: "json_object" } } });
    assert.equal(typeof JSON.parse(object.output_text), "object");
  });
});

describe("function calls", () => {
  test('tool_choice "required" and a named function: one function_call item whose arguments validate; streamed deltas add up to it', async () => {
    for (const [temperature, tool_choice] of [[0, "required"], [1, "required"], [1, { type: "function", name: "weather" }]] as const) {
      const whole = await client.responses.create({ model, input: "What saith the weather?", tools, tool_choice, temperature, max_output_tokens: 120 });
      assert.equal(whole.status, "completed");
      const calls = whole.output.filter((item): item is ResponseFunctionToolCall => item.type === "function_call");
      assert.equal(calls.length, 1, JSON.stringify(whole.output));
      const call = calls[0]!;
      assert.match(call.call_id, /^call_/);
      if (typeof tool_choice === "object") assert.equal(call.name, "weather");
      const parameters = tools.find((tool) => tool.name === call.name)!.parameters!;
      assert.ok(ajv.validate(parameters, JSON.parse(call.arguments)), call.arguments);
    }
    const events = await collect(await client.responses.create({ model, input: "What saith the weather?", tools, tool_choice: { type: "function", name: "weather" }, max_output_tokens: 120, stream: true }));
    const added = events.find((event) => event.type === "response.output_item.added");
    assert.ok(added?.type === "response.output_item.added" && added.item.type === "function_call");
    assert.equal(added.item.name, "weather");
    const deltas = events.flatMap((event) => (event.type === "response.function_call_arguments.delta" ? [event] : []));
    assert.ok(deltas.length >= 2, "the arguments arrive in pieces");
    assert.ok(deltas.every((delta) => delta.item_id === added.item.id));
    const done = events.find((event) => event.type === "response.function_call_arguments.done");
    assert.ok(done?.type === "response.function_call_arguments.done");
    assert.equal(deltas.map((delta) => delta.delta).join(""), done.arguments);
    assert.ok(ajv.validate(weather, JSON.parse(done.arguments)), done.arguments);
    const completed = events.at(-1)!;
    assert.ok(completed.type === "response.completed");
    const item = completed.response.output[0]!;
    assert.ok(item.type === "function_call" && item.arguments === done.arguments && item.status === "completed");
  });

  test("a function_call_output in the next input is answered with a message", async () => {
    const first = await client.responses.create({ model, input: "What saith the weather?", tools, tool_choice: "required", max_output_tokens: 120 });
    const call = first.output.find((item): item is ResponseFunctionToolCall => item.type === "function_call")!;
    const input: ResponseInputItem[] = [
      { role: "user", content: [{ type: "input_text", text: "What saith the weather?" }] },
      { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: "function_call_output", call_id: call.call_id, output: "Rain for forty days." },
    ];
    const answer = await client.responses.create({ model, input, tools, temperature: 0, max_output_tokens: 20 });
    assert.equal(answer.output[0]!.type, "message");
    assert.equal(answer.output.filter((item) => item.type === "function_call").length, 0);
    assert.ok(answer.usage!.input_tokens > first.usage!.input_tokens, "the call and its output are part of the prompt");
  });
});

describe("fields", () => {
  test("fields that cannot change the answer are accepted and ignored", async () => {
    const response = await client.responses.create({
      model,
      input: [{ role: "developer", content: "Be brief." }, { type: "message", role: "user", content: "Hello" }],
      store: true,
      metadata: { ticket: "7" },
      user: "someone",
      service_tier: "auto",
      truncation: "disabled",
      reasoning: { effort: "low" },
      parallel_tool_calls: false,
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "k",
      max_output_tokens: 4,
    });
    assert.equal((response as unknown as Record<string, unknown>).store, false);
    assert.deepEqual(response.metadata, { ticket: "7" });
  });

  test("what would silently change the answer is refused with a 400 naming the field; the server keeps serving", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ previous_response_id: "resp_1" }, "previous_response_id"],
      [{ conversation: "conv_1" }, "conversation"],
      [{ background: true }, "background"],
      [{ truncation: "auto" }, "truncation"],
      [{ tools: [{ type: "web_search" }] }, "tools[0].type"],
      [{ tools, tool_choice: { type: "function", name: "nothing" } }, "tool_choice"],
      [{ tools, tool_choice: "required", text: { format: { type: "json_object" } } }, "text.format"],
      [{ text: { format: { type: "json_schema", name: "x", schema: { type: "string", pattern: "a+" } } } }, "text.format.schema.pattern"],
      [{ input: [{ type: "item_reference", id: "msg_1" }] }, "input[0].type"],
      [{ input: [{ type: "function_call_output", call_id: "call_x", output: "1" }] }, "input[0].call_id"],
      [{ input: [{ role: "user", content: [{ type: "input_image", image_url: "data:," }] }] }, "input[0].content[0]"],
      [{ input: [{ type: "function_call", call_id: "c", name: "weather", arguments: "{" }] }, "input[0].arguments"],
      [{ frobnicate: 1 }, "frobnicate"],
    ];
    for (const [fields, param] of cases) {
      const error = await client.responses.create({ model, input: "Hello", ...fields } as never).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof APIError, `${param}: ${String(error)}`);
      assert.equal(error.status, 400, param);
      assert.equal((error.error as { param?: string }).param, param, error.message);
    }
    const response = await postJson(`${harness.url}/v1/responses`, { model, input: "Hello", max_output_tokens: 2 });
    assert.equal(response.status, 200);
  });
});
