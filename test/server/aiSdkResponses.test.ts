/**
 * The AI SDK's own OpenAI provider (`@ai-sdk/openai`), unmodified, whose default model
 * speaks the Responses API, against `/v1/responses` on the demo model: generateText and
 * streamText (streamed text equals the whole), generateObject with a zod schema, and
 * streamText with a required tool, its input streamed in pieces.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createOpenAI, type OpenAIProvider } from "@ai-sdk/openai";
import { generateObject, generateText, jsonSchema, streamText, tool } from "ai";
import { z } from "zod";
import { assertRequiredToolStreams } from "./aiSdkChecks.js";
import { startTestServer, type TestServer } from "./helpers.js";

let harness: TestServer;
let provider: OpenAIProvider;
const model = "kjv-tiny-q8_0";

before(async () => {
  harness = await startTestServer({ contextSize: 1024, parallel: 2 });
  provider = createOpenAI({ baseURL: `${harness.url}/v1`, apiKey: "unused" });
});
after(() => harness.server.close());

test("generateText and streamText speak the Responses API; greedy streamed text equals the whole", async () => {
  const settings = { model: provider(model), system: "Speak as the prophets.", prompt: "Hello", temperature: 0, maxOutputTokens: 24, maxRetries: 0 };
  const whole = await generateText(settings);
  assert.ok(whole.text.length > 0);
  assert.match(whole.response.id, /^resp_/, "the answer came from /v1/responses");
  assert.ok(whole.usage.inputTokens! > 5 && whole.usage.outputTokens! > 0);
  const streamed = streamText(settings);
  const pieces: string[] = [];
  for await (const piece of streamed.textStream) pieces.push(piece);
  assert.ok(pieces.length > 1, "the text arrives in pieces");
  assert.equal(pieces.join(""), whole.text);
  assert.equal(await streamed.finishReason, whole.finishReason);
  assert.equal((await streamed.usage).outputTokens, whole.usage.outputTokens);
});

test("generateObject gets an object that matches its zod schema", async () => {
  // The demo model never writes a quote mark: strings need a maximum length to end.
  const prophet = z.object({ name: z.string().max(10), age: z.number(), signs: z.array(z.string().max(6)).max(3) });
  for (const temperature of [0, 1]) {
    const { object, finishReason } = await generateObject({ model: provider(model), schema: prophet, prompt: "Describe a prophet.", temperature, maxOutputTokens: 150, maxRetries: 0 });
    assert.ok(prophet.safeParse(object).success, JSON.stringify(object));
    assert.equal(finishReason, "stop");
  }
});

test('streamText with toolChoice "required" streams one valid call, its input in pieces', async () => {
  await assertRequiredToolStreams(provider(model));
});

test("a tool result goes back as a function_call_output: a second step answers it", async () => {
  const verse = tool({
    description: "Look up a verse",
    inputSchema: jsonSchema<{ book: "Genesis" | "Exodus" }>({ type: "object", properties: { book: { enum: ["Genesis", "Exodus"] } }, required: ["book"], additionalProperties: false }),
    execute: async ({ book }) => `${book} 1:1`,
  });
  const inputs: { type?: string }[][] = [];
  const recording = createOpenAI({
    baseURL: `${harness.url}/v1`,
    apiKey: "unused",
    fetch: (url, init) => {
      inputs.push((JSON.parse(String(init!.body)) as { input: { type?: string }[] }).input);
      return fetch(url, init);
    },
  });
  // Without store: false the SDK refers to the first step's items by id, which needs stored responses.
  const result = await generateText({
    model: recording(model),
    tools: { verse },
    prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? "required" : "none" }),
    stopWhen: ({ steps }) => steps.length === 2,
    prompt: "Where is the flood?",
    providerOptions: { openai: { store: false } },
    temperature: 0,
    maxOutputTokens: 60,
    maxRetries: 0,
  });
  assert.equal(result.steps.length, 2);
  assert.equal(result.steps[0]!.toolResults[0]!.output, `${(result.steps[0]!.toolCalls[0]!.input as { book: string }).book} 1:1`);
  assert.equal(result.steps[1]!.toolCalls.length, 0);
  assert.deepEqual(
    inputs[1]!.map((item) => item.type ?? "message"),
    ["message", "function_call", "function_call_output"],
  );
  assert.ok(result.steps[1]!.response.id.startsWith("resp_"));

  // The SDK's default (store: true) refers to stored items: refused, saying what to do.
  await assert.rejects(
    generateText({ model: provider(model), tools: { verse }, prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? "required" : "none" }), stopWhen: ({ steps }) => steps.length === 2, prompt: "Where is the flood?", maxOutputTokens: 60, maxRetries: 0 }),
    (error: Error) => /item_reference .*store = false/.test(error.message),
  );
});
