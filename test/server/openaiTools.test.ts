/**
 * Tool calls and structured output on the OpenAI routes, driven by the official `openai`
 * client on the demo model (no chat template: the transcript, with the tools described in
 * it, hence the larger context). Forced calls and JSON schemas are grammar-constrained,
 * so they parse and validate on any model; streamed argument pieces add up to the call.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionTool } from "openai/resources/chat/completions";
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
const verse = { type: "object", properties: { book: { enum: ["Genesis", "Exodus"] }, chapter: { type: "integer" } }, required: ["book", "chapter"] };
const tools: ChatCompletionTool[] = [
  { type: "function", function: { name: "weather", description: "The weather in a city", parameters: weather } },
  { type: "function", function: { name: "verse", description: "Look up a verse", parameters: verse } },
];
const schemas: Record<string, object> = { weather, verse };
const messages = [{ role: "system" as const, content: "Thou shalt call tools." }, { role: "user" as const, content: "What saith the weather?" }];

/** The streamed calls, put together from their deltas as a client does. */
function assembleCalls(chunks: readonly ChatCompletionChunk[]) {
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const chunk of chunks) {
    for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
      if (delta.id !== undefined) {
        assert.equal(delta.index, calls.length, "a new call takes the next index");
        assert.equal(delta.type, "function");
        assert.equal(delta.function?.arguments, "", "the first chunk of a call carries its name, not its arguments");
        calls.push({ id: delta.id, name: delta.function!.name!, arguments: "" });
      } else {
        assert.equal(delta.function?.name, undefined);
        calls[delta.index]!.arguments += delta.function!.arguments!;
      }
    }
  }
  return calls;
}

describe("tool calls", () => {
  test("forced calls always parse and validate, streamed and not; streamed deltas add up to the call", async () => {
    for (const [seed, tool_choice] of [[1, "required"], [2, "required"], [3, { type: "function", function: { name: "verse" } }], [4, { type: "function", function: { name: "weather" } }]] as const) {
      const request: ChatCompletionCreateParamsNonStreaming = { model, messages, tools, tool_choice, seed, temperature: 1, max_tokens: 120 };
      const whole = await client.chat.completions.create(request);
      const choice = whole.choices[0]!;
      assert.equal(choice.finish_reason, "tool_calls", `seed ${seed}`);
      assert.equal(choice.message.content, null);
      assert.equal(choice.message.tool_calls!.length, 1);
      const call = choice.message.tool_calls![0]!;
      assert.equal(call.type, "function");
      assert.match(call.id, /^call_[0-9a-f]{24}$/);
      if (call.type !== "function") throw new Error("expected a function call");
      if (typeof tool_choice === "object") assert.equal(call.function.name, tool_choice.function.name);
      const parsed: unknown = JSON.parse(call.function.arguments);
      assert.ok(ajv.validate(schemas[call.function.name]!, parsed), `seed ${seed}: ${call.function.arguments} ${ajv.errorsText()}`);

      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) chunks.push(chunk);
      const streamed = assembleCalls(chunks);
      assert.equal(streamed.length, 1);
      assert.ok(chunks.filter((chunk) => chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments).length >= 2, "arguments arrive in pieces, as generated");
      // Seeded sampling is the same stream either way: the same call, piece by piece.
      assert.equal(streamed[0]!.name, call.function.name);
      assert.equal(streamed[0]!.arguments, call.function.arguments);
      assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, "tool_calls");
    }
  });

  test("greedy: the streamed call equals the non-streamed one", async () => {
    const request = { model, messages, tools, tool_choice: "required" as const, temperature: 0, max_tokens: 120 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const [call] = assembleCalls(chunks);
    const expected = whole.choices[0]!.message.tool_calls![0]!;
    assert.ok(expected.type === "function");
    assert.deepEqual({ name: call!.name, arguments: call!.arguments }, { name: expected.function.name, arguments: expected.function.arguments });
  });

  test("a conversation with a call and its result continues; tool_choice none answers in text", async () => {
    const history = [
      ...messages,
      { role: "assistant" as const, content: null, tool_calls: [{ id: "call_1", type: "function" as const, function: { name: "weather", arguments: '{"city":"Zion","days":3}' } }] },
      { role: "tool" as const, tool_call_id: "call_1", content: "Rain for forty days." },
    ];
    const forced = await client.chat.completions.create({ model, messages: history, tools, tool_choice: { type: "function", function: { name: "verse" } }, temperature: 0, max_tokens: 120 });
    const call = forced.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === "function" && call.function.name === "verse");
    assert.ok(ajv.validate(verse, JSON.parse(call.function.arguments)));
    const plain = await client.chat.completions.create({ model, messages: history, tools, tool_choice: "none", parallel_tool_calls: false, temperature: 0, max_tokens: 8 });
    assert.equal(plain.choices[0]!.message.tool_calls, undefined);
    assert.equal(typeof plain.choices[0]!.message.content, "string");
    assert.notEqual(plain.choices[0]!.finish_reason, "tool_calls");
  });
});

describe("response_format", () => {
  const person = { type: "object", properties: { name: { type: "string", maxLength: 10 }, age: { type: "integer" }, tags: { type: "array", items: { type: "string", maxLength: 6 }, maxItems: 3 } }, required: ["name", "age", "tags"], additionalProperties: false };

  test("json_schema (strict) always parses and validates, streamed and not; greedy streamed equals non-streamed", async () => {
    for (const seed of [1, 2, 3]) {
      const request: ChatCompletionCreateParamsNonStreaming = { model, messages: [{ role: "user", content: "Describe a prophet." }], response_format: { type: "json_schema", json_schema: { name: "person", strict: true, schema: person } }, seed, temperature: 1, max_tokens: 150 };
      const whole = await client.chat.completions.create(request);
      const text = whole.choices[0]!.message.content!;
      assert.ok(ajv.validate(person, JSON.parse(text)), `seed ${seed}: ${text} ${ajv.errorsText()}`);
      let streamed = "";
      for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) streamed += chunk.choices[0]?.delta.content ?? "";
      assert.equal(streamed, text);
    }
  });

  test("json_object gives a JSON object", async () => {
    const whole = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Speak in JSON." }], response_format: { type: "json_object" }, temperature: 0, max_tokens: 120 });
    const text = whole.choices[0]!.message.content!;
    const parsed: unknown = JSON.parse(text);
    assert.ok(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), text);
  });
});

test("bad input: a 400 naming the field, and the server keeps serving", async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { word: { type: "string", pattern: "^a" } } } } } }, "response_format.json_schema.schema.properties.word.pattern"],
    [{ response_format: { type: "yaml" } }, "response_format.type"],
    [{ tools, tool_choice: { type: "function", function: { name: "fly" } } }, "tool_choice"],
    [{ tool_choice: "required" }, "tool_choice"],
    [{ tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { x: { type: "string", pattern: "a" } } } } }] }, "tools[0].function.parameters.properties.x.pattern"],
    [{ messages: [...messages, { role: "tool", tool_call_id: "call_9", content: "late" }] }, "messages[2].tool_call_id"],
    [{ messages: [...messages, { role: "tool", content: "whose?" }] }, "messages[2].tool_call_id"],
    [{ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{not json" } }] }] }, "messages[0].tool_calls[0].function.arguments"],
  ];
  for (const [extra, param] of cases) {
    await assert.rejects(client.chat.completions.create({ model, messages, max_tokens: 2, ...extra } as never), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, `${param}: ${String(error)}`);
      assert.equal(error.param, param, String(error.message));
      return true;
    });
  }
  const response = await postJson(`${harness.url}/v1/chat/completions`, { model, messages, max_tokens: 3 });
  assert.equal(response.status, 200);
});
