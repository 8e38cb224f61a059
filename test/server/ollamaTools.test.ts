/**
 * Structured output and tools on the Ollama routes, driven by the official `ollama` client
 * on the demo model (no chat template: the transcript, with the tools described in it,
 * hence the larger context). `format` is grammar-constrained, so it parses and validates
 * on any model.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import { Ollama } from "ollama";
import { ollamaResponseError, startTestServer, type TestServer } from "./helpers.js";

let harness: TestServer;
let ollama: Ollama;
const model = "kjv-tiny-q8_0";
const ajv = new Ajv({ strict: false });

before(async () => {
  harness = await startTestServer({ contextSize: 1024, parallel: 2 });
  ollama = new Ollama({ host: harness.url });
});
after(() => harness.server.close());

// The demo model never writes a quote mark: strings need a maxLength to end.
const person = { type: "object", properties: { name: { type: "string", maxLength: 10 }, age: { type: "integer" } }, required: ["name", "age"] };
const messages = [{ role: "user", content: "Describe a prophet." }];

describe("format", () => {
  test("a schema on /api/chat always parses and validates, streamed and not; greedy streamed equals non-streamed", async () => {
    for (const seed of [1, 2, 3]) {
      const whole = await ollama.chat({ model, messages, format: person, stream: false, options: { seed, temperature: 1, num_predict: 120 } });
      assert.ok(ajv.validate(person, JSON.parse(whole.message.content)), `seed ${seed}: ${whole.message.content} ${ajv.errorsText()}`);
    }
    const request = { model, messages, format: person, options: { temperature: 0, num_predict: 120 } };
    const whole = await ollama.chat({ ...request, stream: false });
    let streamed = "";
    for await (const part of await ollama.chat({ ...request, stream: true })) streamed += part.message.content;
    assert.equal(streamed, whole.message.content);
    assert.ok(ajv.validate(person, JSON.parse(streamed)));
  });

  test('"json" on /api/generate gives a JSON object, streamed and not', async () => {
    const request = { model, prompt: "And God said", format: "json", options: { temperature: 0, num_predict: 120 } };
    const whole = await ollama.generate({ ...request, stream: false });
    const parsed: unknown = JSON.parse(whole.response!);
    assert.ok(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), whole.response);
    let streamed = "";
    for await (const part of await ollama.generate({ ...request, stream: true })) streamed += part.response;
    assert.equal(streamed, whole.response);
  });

  test("a schema on /api/generate validates", async () => {
    const whole = await ollama.generate({ model, prompt: "A prophet:", format: person, stream: false, options: { seed: 7, temperature: 1, num_predict: 120 } });
    assert.ok(ajv.validate(person, JSON.parse(whole.response!)), whole.response);
  });
});

describe("tools", () => {
  const tools = [{ type: "function", function: { name: "weather", description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string", description: "The city" } }, required: ["city"] } } }];

  test("tools are described to the model; a history with calls and their results continues the chat", async () => {
    const question = [{ role: "user", content: "What saith the weather?" }];
    const plain = await ollama.chat({ model, messages: question, stream: false, options: { temperature: 0, num_predict: 4 } });
    const withTools = await ollama.chat({ model, messages: question, tools, stream: false, options: { temperature: 0, num_predict: 4 } });
    assert.ok(withTools.prompt_eval_count > plain.prompt_eval_count + 10, "the tools are part of the prompt");
    const history = [
      ...question,
      { role: "assistant", content: "", tool_calls: [{ function: { name: "weather", arguments: { city: "Zion" } } }] },
      { role: "tool", tool_name: "weather", content: "Rain for forty days." },
    ];
    const answer = await ollama.chat({ model, messages: history, tools, stream: false, think: false, options: { temperature: 0, num_predict: 6 } });
    assert.ok(answer.prompt_eval_count > withTools.prompt_eval_count, "the call and its result are part of the prompt");
    assert.equal(typeof answer.message.content, "string");
  });

  test("bad input: a 400 naming the field, and the server keeps serving", async () => {
    await assert.rejects(ollama.chat({ model, messages, format: { type: "object", properties: { x: { type: "string", pattern: "^a" } } }, stream: false }), ollamaResponseError(400, /format\.properties\.x\.pattern/));
    await assert.rejects(ollama.generate({ model, prompt: "hi", format: "yaml", stream: false }), ollamaResponseError(400, /format/));
    await assert.rejects(ollama.chat({ model, messages: [...messages, { role: "tool", tool_name: "weather", content: "Rain." }], stream: false }), ollamaResponseError(400, /messages\[1\]/));
    await assert.rejects(ollama.chat({ model, messages, tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { n: { type: "integer", minimum: 3 } } } } }] as never, stream: false }), ollamaResponseError(400, /tools\[0\]\.function\.parameters\.properties\.n\.minimum/));
    await assert.rejects(ollama.chat({ model, messages, think: true, stream: false }), ollamaResponseError(400, /think/));
    const answer = await ollama.chat({ model, messages, stream: false, options: { num_predict: 2 } });
    assert.equal(answer.done, true);
  });
});
