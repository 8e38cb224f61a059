/**
 * A model's own output syntax on every API, through unmodified clients (`openai`,
 * `ollama`, the AI SDK): scripted models whose GGUF carries a real family's template
 * (test/fixtures/chatTemplates.ts). With tools and `"auto"`, the call the model writes in
 * its template's tool format is a structured call, the text before it streamed as text;
 * thinking in the template's markers is reasoning (`reasoning_content`, Ollama's
 * `thinking`, the AI SDK's reasoning parts), apart from the answer.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { jsonSchema, streamText, tool } from "ai";
import { Ollama, type ChatResponse } from "ollama";
import OpenAI from "openai";
import { Model } from "../../src/index.js";
import { makeThinkingModel, makeToolCallingModel } from "../fixtures/chatTemplates.js";
import { ollamaResponseError, startTestServer, type TestServer } from "./helpers.js";

const weatherParameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
const openAiTools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "get_weather", description: "The weather in a city", parameters: weatherParameters } }];
const messages = [{ role: "user" as const, content: "Weather in Paris?" }];

let toolModel: Model;
let thinkingModel: Model;
let tools: TestServer;
let thinking: TestServer;
before(async () => {
  toolModel = await Model.load(await makeToolCallingModel());
  thinkingModel = await Model.load(await makeThinkingModel());
  // The rendered tool instructions are longer than the scripted models' trained context.
  tools = await startTestServer({ model: toolModel, parallel: 1, contextSize: 2048 });
  thinking = await startTestServer({ model: thinkingModel, parallel: 1, contextSize: 2048 });
});
after(async () => {
  await tools.server.close();
  await thinking.server.close();
  await toolModel.dispose();
  await thinkingModel.dispose();
});

const openAi = (harness: TestServer) => new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: "unused" });
const ollamaOf = (harness: TestServer) => new Ollama({ host: harness.url });
async function modelName(harness: TestServer): Promise<string> {
  return (await openAi(harness).models.list()).data[0]!.id;
}

describe("tool calls with auto", () => {
  test("OpenAI streamed: content first, then delta.tool_calls with index, id and name, then argument pieces; finish_reason tool_calls", async () => {
    const stream = await openAi(tools).chat.completions.create({ model: await modelName(tools), messages, tools: openAiTools, tool_choice: "auto", temperature: 0, stream: true });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta[] = [];
    let finishReason: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice === undefined) continue;
      deltas.push(choice.delta);
      finishReason = choice.finish_reason ?? finishReason;
    }
    const firstCall = deltas.findIndex((delta) => delta.tool_calls !== undefined);
    assert.equal(deltas.slice(0, firstCall).map((delta) => delta.content ?? "").join(""), "Let me check.");
    const calls = deltas.slice(firstCall).flatMap((delta) => delta.tool_calls ?? []);
    assert.equal(calls[0]!.index, 0);
    assert.match(calls[0]!.id!, /^call_/);
    assert.equal(calls[0]!.function?.name, "get_weather");
    const pieces = calls.slice(1).map((call) => call.function?.arguments ?? "");
    assert.ok(pieces.length >= 2, "the arguments come in pieces");
    assert.ok(calls.slice(1).every((call) => call.index === 0 && call.id === undefined));
    assert.deepEqual(JSON.parse(pieces.join("")), { city: "Paris" });
    assert.ok(deltas.slice(firstCall).every((delta) => !delta.content), "no call text leaks into content");
    assert.equal(finishReason, "tool_calls");
  });

  test("OpenAI whole: the message's tool_calls, its text as content", async () => {
    const completion = await openAi(tools).chat.completions.create({ model: await modelName(tools), messages, tools: openAiTools, temperature: 0 });
    const choice = completion.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, "Let me check.");
    const [call] = choice.message.tool_calls ?? [];
    assert.equal(call?.type, "function");
    assert.equal(call.type === "function" ? call.function.name : "", "get_weather");
    assert.deepEqual(JSON.parse(call.type === "function" ? call.function.arguments : ""), { city: "Paris" });
  });

  test("Ollama: message.tool_calls, streamed in a chunk of its own as soon as the call is complete", async () => {
    const ollama = ollamaOf(tools);
    const model = await modelName(tools);
    const ollamaTools = [{ type: "function", function: { name: "get_weather", description: "The weather in a city", parameters: weatherParameters } }];
    const chunks: ChatResponse[] = [];
    for await (const chunk of await ollama.chat({ model, messages, tools: ollamaTools, stream: true, options: { temperature: 0 } })) chunks.push(chunk);
    const withCall = chunks.findIndex((chunk) => (chunk.message.tool_calls?.length ?? 0) > 0);
    assert.ok(withCall > 0 && !chunks[withCall]!.done, "the call comes before the final chunk");
    assert.equal(chunks.slice(0, withCall).map((chunk) => chunk.message.content).join(""), "Let me check.");
    assert.deepEqual(chunks[withCall]!.message.tool_calls, [{ function: { name: "get_weather", arguments: { city: "Paris" } } }]);
    assert.equal(chunks.at(-1)!.done, true);

    const whole = await ollama.chat({ model, messages, tools: ollamaTools, stream: false, options: { temperature: 0 } });
    assert.equal(whole.message.content, "Let me check.");
    assert.deepEqual(whole.message.tool_calls, [{ function: { name: "get_weather", arguments: { city: "Paris" } } }]);
  });

  test("AI SDK streamText with tools (auto): text, the call's input in pieces, the call", async () => {
    const provider = createOpenAICompatible({ name: "mullama", baseURL: `${tools.url}/v1` });
    const getWeather = tool({ description: "The weather in a city", inputSchema: jsonSchema<{ city: string }>(weatherParameters as Parameters<typeof jsonSchema>[0]) });
    const result = streamText({ model: provider.chatModel(await modelName(tools)), tools: { get_weather: getWeather }, prompt: "Weather in Paris?", temperature: 0, maxRetries: 0 });
    let text = "";
    let inputDeltas = 0;
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") text += part.text;
      if (part.type === "tool-input-delta") inputDeltas++;
      if (part.type === "error") throw part.error;
    }
    assert.equal(text, "Let me check.");
    assert.ok(inputDeltas >= 2);
    const calls = await result.toolCalls;
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.toolName, "get_weather");
    assert.deepEqual(calls[0]!.input, { city: "Paris" });
    assert.equal(await result.finishReason, "tool-calls");
  });
});

describe("thinking", () => {
  test("OpenAI: reasoning_content in the deltas and in the whole message, the answer in content", async () => {
    const client = openAi(thinking);
    const model = await modelName(thinking);
    let reasoning = "";
    let content = "";
    for await (const chunk of await client.chat.completions.create({ model, messages, temperature: 0, stream: true })) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? "";
      content += delta?.content ?? "";
    }
    assert.equal(reasoning, "The user wants X.");
    assert.equal(content, "Answer.");
    const whole = await client.chat.completions.create({ model, messages, temperature: 0 });
    const message = whole.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    assert.equal(message.content, "Answer.");
    assert.equal(message.reasoning_content, "The user wants X.");
  });

  test("AI SDK streamText: reasoning parts, then the answer as text", async () => {
    const provider = createOpenAICompatible({ name: "mullama", baseURL: `${thinking.url}/v1` });
    const result = streamText({ model: provider.chatModel(await modelName(thinking)), prompt: "Weather in Paris?", temperature: 0, maxRetries: 0 });
    let reasoning = "";
    let text = "";
    for await (const part of result.fullStream) {
      if (part.type === "reasoning-delta") reasoning += part.text;
      if (part.type === "text-delta") text += part.text;
      if (part.type === "error") throw part.error;
    }
    assert.equal(reasoning, "The user wants X.");
    assert.equal(text, "Answer.");
  });

  test("Ollama: think true streams a thinking field; think false leaves the thinking out of content", async () => {
    const ollama = ollamaOf(thinking);
    const model = await modelName(thinking);
    let streamedThinking = "";
    let streamedContent = "";
    for await (const chunk of await ollama.chat({ model, messages, think: true, stream: true, options: { temperature: 0 } })) {
      streamedThinking += chunk.message.thinking ?? "";
      streamedContent += chunk.message.content;
    }
    assert.equal(streamedThinking, "The user wants X.");
    assert.equal(streamedContent, "Answer.");
    const whole = await ollama.chat({ model, messages, think: true, stream: false, options: { temperature: 0 } });
    assert.equal(whole.message.thinking, "The user wants X.");
    const quiet = await ollama.chat({ model, messages, think: false, stream: false, options: { temperature: 0 } });
    assert.equal(quiet.message.content, "Answer.");
    assert.equal(quiet.message.thinking, undefined);
  });

  test("Ollama: think true on a model that does not separate thinking is a 400, as with Ollama; think false is fine", async () => {
    const ollama = ollamaOf(tools);
    const model = await modelName(tools);
    await assert.rejects(ollama.chat({ model, messages, think: true, stream: false }), ollamaResponseError(400, /does not support thinking/));
    const answer = await ollama.chat({ model, messages, think: false, stream: false, options: { temperature: 0 } });
    assert.match(answer.message.content, /^Let me check\./);
  });
});
