/**
 * LangChain's own chat models and embeddings, unmodified, against `mullama serve` on the
 * demo model: `ChatOpenAI` (chat completions, and the Responses API with
 * `useResponsesApi`) streaming, `withStructuredOutput` with a zod schema, `bindTools`
 * with a forced tool; `OpenAIEmbeddings`; `ChatOllama` streaming and `withStructuredOutput`;
 * `OllamaEmbeddings`; and the AI SDK's `embed`/`embedMany` through
 * `@ai-sdk/openai-compatible`. Embeddings are compared with what `model.embed` gives
 * in-process.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChatOllama, OllamaEmbeddings } from "@langchain/ollama";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { embed, embedMany } from "ai";
import { z } from "zod";
import type { Model } from "../../src/index.js";
import { startTestServer, type TestServer } from "./helpers.js";

let harness: TestServer;
let model: Model;
const demo = "kjv-tiny-q8_0";
const texts = ["In the beginning God created the heaven", "And the LORD spake unto Moses"];

before(async () => {
  harness = await startTestServer({ contextSize: 1024, parallel: 2 });
  model = harness.server.context!.model;
});
after(() => harness.server.close());

const chatOpenAI = (fields: Partial<ConstructorParameters<typeof ChatOpenAI>[0]> = {}) =>
  new ChatOpenAI({ model: demo, apiKey: "unused", configuration: { baseURL: `${harness.url}/v1` }, maxRetries: 0, temperature: 0, maxTokens: 24, ...fields });

/** Vectors equal up to float32 rounding (some clients send base64 float32). */
function assertVectorsClose(actual: readonly (readonly number[])[], expected: readonly (readonly number[])[]): void {
  assert.equal(actual.length, expected.length);
  for (const [index, vector] of actual.entries()) {
    assert.equal(vector.length, expected[index]!.length);
    assert.ok(vector.every((value, position) => Math.abs(value - expected[index]![position]!) < 1e-6), `vector ${index}`);
  }
}

const conversation: [string, string][] = [
  ["system", "Speak as the prophets."],
  ["human", "Hello"],
];

/** Invokes and streams the same greedy conversation: the streamed pieces add up to the whole text. Returns the whole message. */
async function assertStreamedEqualsWhole(llm: BaseChatModel) {
  const whole = await llm.invoke(conversation);
  assert.ok(whole.text.length > 0);
  const pieces: string[] = [];
  for await (const chunk of await llm.stream(conversation)) pieces.push(chunk.text);
  assert.ok(pieces.filter((piece) => piece !== "").length > 1, "the text arrives in pieces");
  assert.equal(pieces.join(""), whole.text);
  return whole;
}

// The demo model never writes a quote mark: strings need a maximum length to end.
const prophet = z.object({ name: z.string().max(10), age: z.number() });
const weather = { name: "weather", description: "The weather in a city", schema: z.object({ city: z.string().max(12), days: z.number().int() }) };

for (const useResponsesApi of [false, true]) {
  describe(`ChatOpenAI${useResponsesApi ? " with useResponsesApi" : ""}`, () => {
    test("invoke and stream: greedy streamed text equals the whole", async () => {
      const whole = await assertStreamedEqualsWhole(chatOpenAI({ useResponsesApi }));
      assert.match(whole.id ?? "", useResponsesApi ? /^resp_/ : /^chatcmpl-/, "the route the client chose answered");
    });

    test("withStructuredOutput gets an object that matches the zod schema", async () => {
      const structured = chatOpenAI({ useResponsesApi, maxTokens: 100, temperature: 1 }).withStructuredOutput(prophet, { name: "prophet" });
      for (let attempt = 0; attempt < 2; attempt++) {
        const object = await structured.invoke("Describe a prophet.");
        assert.ok(prophet.safeParse(object).success, JSON.stringify(object));
      }
    });

    test("bindTools with a forced tool: one call whose arguments match the schema", async () => {
      const llm = chatOpenAI({ useResponsesApi, maxTokens: 120 }).bindTools([weather], { tool_choice: "weather" });
      const message = await llm.invoke("What saith the weather?");
      assert.equal(message.tool_calls?.length, 1);
      const call = message.tool_calls![0]!;
      assert.equal(call.name, "weather");
      assert.ok(weather.schema.safeParse(call.args).success, JSON.stringify(call.args));
      // Streamed: the chunks put together make one valid call.
      let merged: Awaited<ReturnType<typeof llm.invoke>> | undefined;
      for await (const chunk of await llm.stream("What saith the weather?")) merged = merged === undefined ? chunk : merged.concat(chunk);
      assert.equal(merged?.tool_calls?.length, 1);
      assert.ok(weather.schema.safeParse(merged!.tool_calls![0]!.args).success, JSON.stringify(merged!.tool_calls));
    });
  });
}

describe("ChatOllama", () => {
  test("invoke and stream: greedy streamed text equals the whole", async () => {
    await assertStreamedEqualsWhole(new ChatOllama({ model: demo, baseUrl: harness.url, temperature: 0, numPredict: 24 }));
  });

  test("withStructuredOutput (Ollama's format with a schema) gets an object that matches the zod schema", async () => {
    const structured = new ChatOllama({ model: demo, baseUrl: harness.url, temperature: 1, numPredict: 100 }).withStructuredOutput(prophet, { name: "prophet" });
    const object = await structured.invoke("Describe a prophet.");
    assert.ok(prophet.safeParse(object).success, JSON.stringify(object));
  });
});

describe("embeddings", () => {
  test("OpenAIEmbeddings and OllamaEmbeddings give the vectors model.embed gives", async () => {
    const expected = await model.embed(texts);
    const openai = new OpenAIEmbeddings({ model: demo, apiKey: "unused", configuration: { baseURL: `${harness.url}/v1` }, maxRetries: 0 });
    assertVectorsClose(await openai.embedDocuments(texts), expected);
    assertVectorsClose([await openai.embedQuery(texts[0]!)], [expected[0]!]);
    const ollama = new OllamaEmbeddings({ model: demo, baseUrl: harness.url });
    assertVectorsClose(await ollama.embedDocuments(texts), expected);
    assertVectorsClose([await ollama.embedQuery(texts[1]!)], [expected[1]!]);
  });

  test("the AI SDK's embed and embedMany", async () => {
    const expected = await model.embed(texts);
    const provider = createOpenAICompatible({ name: "mullama", baseURL: `${harness.url}/v1` });
    const embeddingModel = provider.textEmbeddingModel(demo);
    const one = await embed({ model: embeddingModel, value: texts[0]!, maxRetries: 0 });
    assertVectorsClose([one.embedding], [expected[0]!]);
    assert.ok(one.usage.tokens > 0);
    const many = await embedMany({ model: embeddingModel, values: texts, maxRetries: 0 });
    assertVectorsClose(many.embeddings, expected);
  });
});
