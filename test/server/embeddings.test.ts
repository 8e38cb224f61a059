/**
 * The embedding routes through the official clients: OpenAI's `embeddings.create` (float
 * and base64, texts and token ids) and Ollama's `embed` and `embeddings`, on the demo
 * model; every vector is the one `model.embed` gives in-process.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ollama } from "ollama";
import OpenAI from "openai";
import type { Model } from "../../src/index.js";
import { postJson, startTestServer, type TestServer, openAiClient } from "./helpers.js";

let harness: TestServer;
let openai: OpenAI;
let ollama: Ollama;
let model: Model;
const demo = "kjv-tiny-q8_0";
const texts = ["In the beginning God created the heaven", "And the LORD spake unto Moses"];
/** Far longer than the demo model's 256-token context. */
const long = "And God said, Let there be light: and there was light. ".repeat(40);

before(async () => {
  harness = await startTestServer();
  openai = openAiClient(harness);
  ollama = new Ollama({ host: harness.url });
  model = harness.server.context!.model;
});

after(() => harness?.server.close());

const float32 = (vector: readonly number[]) => vector.map((value) => Math.fround(value));

describe("POST /v1/embeddings", () => {
  test("texts and token ids, as floats and as base64, are the vectors model.embed gives", async () => {
    const expected = await model.embed(texts);
    const floats = await openai.embeddings.create({ model: demo, input: texts, encoding_format: "float" });
    assert.equal(floats.object, "list");
    assert.equal(floats.model, demo);
    assert.deepEqual(floats.data.map((item) => [item.object, item.index]), [["embedding", 0], ["embedding", 1]]);
    assert.deepEqual(floats.data.map((item) => item.embedding), expected);
    const tokenCount = texts.reduce((sum, text) => sum + model.tokenize(text, { addBos: true }).length, 0);
    assert.deepEqual(floats.usage, { prompt_tokens: tokenCount, total_tokens: tokenCount });

    // The client asks for base64 unless told otherwise, and decodes it to float32.
    const decoded = await openai.embeddings.create({ model: demo, input: texts });
    assert.deepEqual(decoded.data.map((item) => Array.from(item.embedding)), expected.map(float32));
    const base64 = await openai.embeddings.create({ model: demo, input: texts[0]!, encoding_format: "base64" });
    const bytes = Buffer.from(base64.data[0]!.embedding as unknown as string, "base64");
    assert.equal(bytes.length, 192 * 4);
    assert.deepEqual(Array.from({ length: 192 }, (_, index) => bytes.readFloatLE(index * 4)), float32(expected[0]!));

    const ids = texts.map((text) => model.tokenize(text));
    const one = await openai.embeddings.create({ model: demo, input: ids[1]!, encoding_format: "float", user: "someone" });
    assert.deepEqual(one.data.map((item) => item.embedding), [expected[1]]);
    const both = await openai.embeddings.create({ model: demo, input: ids, encoding_format: "float", dimensions: 192 });
    assert.deepEqual(both.data.map((item) => item.embedding), expected);
  });

  test("bad input is a 400 that names the field", async () => {
    const refusal = async (body: object) => {
      const response = await postJson(`${harness.url}/v1/embeddings`, { model: demo, ...body });
      const answer = (await response.json()) as { error: { param: string | null; code: string; message: string } };
      return { status: response.status, ...answer.error };
    };
    assert.deepEqual(pick(await refusal({ input: "x", dimensions: 64 })), { status: 400, param: "dimensions", code: "unsupported_parameter" });
    assert.match((await refusal({ input: "x", dimensions: 64 })).message, /dimensions must be 192/);
    assert.deepEqual(pick(await refusal({ input: "" })), { status: 400, param: "input", code: "invalid_argument" });
    assert.deepEqual(pick(await refusal({ input: [] })), { status: 400, param: "input", code: "invalid_argument" });
    assert.deepEqual(pick(await refusal({ input: ["fine", ""] })), { status: 400, param: "input[1]", code: "invalid_argument" });
    assert.match((await refusal({ input: [[5, 1_000_000]] })).message, /input\[0\]\[1\] = 1000000 is not a token id/);
    assert.equal((await refusal({ input: [[5, 1_000_000]] })).status, 400);
    assert.deepEqual(pick(await refusal({ input: { text: "x" } })), { status: 400, param: "input", code: "invalid_request" });
    assert.deepEqual(pick(await refusal({ input: "x", encoding_format: "int8" })), { status: 400, param: "encoding_format", code: "invalid_request" });
    const overflow = await refusal({ input: long });
    assert.equal(overflow.status, 400);
    assert.equal(overflow.code, "context_length_exceeded");
    await assert.rejects(openai.embeddings.create({ model: "nope", input: "x" }), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });
});

describe("Ollama's /api/embed and /api/embeddings", () => {
  test("embed returns one vector per text with Ollama's counts; embeddings one for the prompt", async () => {
    const expected = await model.embed(texts);
    const answer = await ollama.embed({ model: demo, input: texts, keep_alive: "10m", options: { temperature: 0 } });
    assert.equal(answer.model, demo);
    assert.deepEqual(answer.embeddings, expected);
    assert.equal(answer.prompt_eval_count, texts.reduce((sum, text) => sum + model.tokenize(text, { addBos: true }).length, 0));
    assert.ok(answer.total_duration >= answer.load_duration && answer.load_duration >= 0);
    assert.deepEqual((await ollama.embed({ model: demo, input: texts[0]! })).embeddings, [expected[0]]);
    assert.deepEqual((await ollama.embeddings({ model: `${demo}:latest`, prompt: texts[1]! })).embedding, expected[1]);
  });

  test("a text longer than the context is cut to fit unless truncate is false", async () => {
    await using context = await model.createEmbeddingContext({ threads: 1 });
    const tokens = model.tokenize(long);
    const kept = tokens.slice(0, context.contextSize - 1 - (context.countTokens(tokens) - tokens.length));
    const answer = await ollama.embed({ model: demo, input: ["short", long] });
    assert.deepEqual(answer.embeddings[1], await context.embed(kept));
    assert.equal(answer.prompt_eval_count, context.countTokens("short") + context.contextSize - 1);
    await assert.rejects(ollama.embed({ model: demo, input: long, truncate: false }), /input.* tokens long/);
    await assert.rejects(ollama.embeddings({ model: demo, prompt: long }), /tokens long/);
    await assert.rejects(ollama.embed({ model: demo, input: [] }), /input: must not be empty/);
    await assert.rejects(ollama.embeddings({ model: demo, prompt: "" }), /prompt: must not be empty/);
    await assert.rejects(ollama.embed({ model: demo, input: "x", dimensions: 3 }), /dimensions must be 192/);
  });
});

function pick(error: { status: number; param: string | null; code: string }) {
  return { status: error.status, param: error.param, code: error.code };
}
