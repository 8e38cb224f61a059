/** The Ollama-compatible routes, driven by the official `ollama` client and by raw fetch for the wire details. */
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { Ollama } from "ollama";
import type { Context } from "../../src/context/Context.js";
import { serverVersion } from "../../src/server/version.js";
import { ollamaResponseError, postJson, readJsonLines, startTestServer, type TestServer } from "./helpers.js";

let harness: TestServer;
let ollama: Ollama;
let context: Context;
const model = "kjv-tiny-q8_0";

before(async () => {
  harness = await startTestServer();
  ollama = new Ollama({ host: harness.url });
  context = harness.server.context!;
});
after(() => harness.server.close());

async function inProcess(prompt: string, maxTokens: number, stop?: string[]) {
  return context.generate(prompt, { temperature: 0, maxTokens, ...(stop === undefined ? {} : { stop }) });
}

describe("generate", () => {
  test("non-streaming: the greedy text, done_reason, counts, nanosecond durations and a context", async () => {
    const expected = await inProcess("And God said", 12);
    const response = await ollama.generate({ model, prompt: "And God said", stream: false, options: { temperature: 0, num_predict: 12 } });
    assert.equal(response.response, expected.text);
    assert.equal(response.done, true);
    assert.equal(response.done_reason, "length");
    assert.equal(response.model, model);
    assert.equal(response.eval_count, 12);
    assert.equal(response.prompt_eval_count, expected.promptTokens);
    for (const field of ["total_duration", "prompt_eval_duration", "eval_duration"] as const) {
      assert.ok(Number.isInteger(response[field]) && response[field] > 0, `${field} = ${response[field]}`);
    }
    // Nanoseconds: a 12-token generation on this model takes well under a second, and more than 10 microseconds.
    assert.ok(response.total_duration > 10_000 && response.total_duration < 5e9, `total_duration = ${response.total_duration}`);
    assert.ok(response.total_duration >= response.eval_duration);
    assert.equal(response.context.length, expected.promptTokens + 12);
    assert.ok(!Number.isNaN(Date.parse(String(response.created_at))));
  });

  test("streaming (the default) yields the same text, then a done object", async () => {
    const whole = await ollama.generate({ model, prompt: "In the beginning", stream: false, options: { temperature: 0, num_predict: 40 } });
    const parts = [];
    for await (const part of await ollama.generate({ model, prompt: "In the beginning", stream: true, options: { temperature: 0, num_predict: 40 } })) parts.push(part);
    assert.ok(parts.length > 2);
    assert.ok(parts.slice(0, -1).every((part) => part.done === false));
    const last = parts.at(-1)!;
    assert.equal(last.done, true);
    assert.equal(last.response, "");
    assert.equal(last.done_reason, whole.done_reason);
    assert.equal(parts.map((part) => part.response).join(""), whole.response);
    assert.equal(last.eval_count, whole.eval_count);
  });

  test("NDJSON on the wire, even for a curl-style body without Content-Type", async () => {
    const response = await fetch(`${harness.url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model, prompt: "And God said", options: { temperature: 0, num_predict: 3 } }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/x-ndjson");
    const lines = [];
    for await (const line of readJsonLines(response.body!)) lines.push(line);
    assert.equal(lines.length, 4);
    assert.equal(lines.map((line) => line.response).join(""), (await inProcess("And God said", 3)).text);
  });

  test("a returned context continues the conversation", async () => {
    const first = await ollama.generate({ model, prompt: "And God said", stream: false, options: { temperature: 0, num_predict: 6 } });
    const second = await ollama.generate({ model, prompt: " and", context: first.context, stream: false, options: { temperature: 0, num_predict: 6 } });
    const tokens = [...first.context, ...context.model.tokenize(" and")];
    const expected = await context.generate(tokens, { temperature: 0, maxTokens: 6 });
    assert.equal(second.response, expected.text);
    assert.equal(second.prompt_eval_count, tokens.length);
    await assert.rejects(ollama.generate({ model, prompt: "x", context: [1, 5000], stream: false }), ollamaResponseError(400, /not a token id/));
  });

  test("stop strings never leak", async () => {
    const full = (await inProcess("And God said", 40)).text;
    const expected = full.slice(0, full.indexOf("Babylon"));
    const whole = await ollama.generate({ model, prompt: "And God said", stream: false, options: { temperature: 0, num_predict: 40, stop: ["Babylon"] } });
    assert.equal(whole.response, expected);
    assert.equal(whole.done_reason, "stop");
    let streamed = "";
    for await (const part of await ollama.generate({ model, prompt: "And God said", stream: true, options: { temperature: 0, num_predict: 40, stop: ["Babylon"] } })) streamed += part.response;
    assert.equal(streamed, expected);
  });

  test("an empty prompt only loads the model, as in Ollama", async () => {
    const response = await ollama.generate({ model, prompt: "", stream: false });
    assert.equal(response.done, true);
    assert.equal(response.done_reason, "load");
    assert.equal(response.response, "");
  });
});

describe("chat", () => {
  test("streamed and non-streamed answers match the transcript fallback's greedy text", async () => {
    const messages = [{ role: "user", content: "Who made the heaven?" }];
    const expected = await inProcess("User: Who made the heaven?\nAssistant:", 10, ["\nUser:", "\nSystem:"]);
    const whole = await ollama.chat({ model, messages, stream: false, options: { temperature: 0, num_predict: 10 } });
    assert.equal(whole.message.role, "assistant");
    assert.equal(whole.message.content, expected.text);
    assert.equal(whole.done, true);
    let streamed = "";
    let last;
    for await (const part of await ollama.chat({ model, messages, stream: true, options: { temperature: 0, num_predict: 10 } })) {
      streamed += part.message.content;
      last = part;
    }
    assert.equal(streamed, expected.text);
    assert.equal(last!.done_reason, whole.done_reason);
    assert.equal(last!.eval_count, whole.eval_count);
  });

  test("unsupported requests get a clear 400", async () => {
    const messages = [{ role: "user", content: "hi" }];
    await assert.rejects(ollama.chat({ model, messages, think: true, stream: false }), ollamaResponseError(400, /think/));
    await assert.rejects(ollama.chat({ model, messages: [{ role: "user", content: "hi", images: ["aGk="] }], stream: false }), ollamaResponseError(400, /images/));
    await assert.rejects(ollama.chat({ model, messages, stream: false, options: { mirostat: 2 } }), ollamaResponseError(400, /mirostat/));
    await assert.rejects(ollama.chat({ model, messages, stream: false, options: { num_predict: -7 } }), ollamaResponseError(400, /num_predict/));
  });
});

describe("models", () => {
  test("tags, show, ps and version describe the served model", async () => {
    const { models } = await ollama.list();
    assert.equal(models.length, 1);
    const [entry] = models;
    assert.equal(entry!.name, `${model}:latest`);
    assert.equal(entry!.size, (await stat(context.model.path)).size);
    assert.equal(entry!.details.format, "gguf");
    assert.equal(entry!.details.family, "llama");
    assert.equal(entry!.details.quantization_level, "Q8_0");
    assert.equal(entry!.details.parameter_size, "2.0M");
    assert.match(entry!.digest, /^[0-9a-f]{64}$/);

    const shown = await ollama.show({ model: `${model}:latest` });
    assert.equal(shown.details.family, "llama");
    assert.equal((shown.model_info as unknown as Record<string, unknown>)["llama.context_length"], 256);
    assert.equal(shown.parameters, "num_ctx 256");

    const running = await ollama.ps();
    assert.equal(running.models[0]!.name, `${model}:latest`);

    assert.equal((await ollama.version()).version, serverVersion);
    assert.match(serverVersion, /^\d+\.\d+\.\d+/);
  });

  test("an unknown model is a 404 with Ollama's error shape", async () => {
    await assert.rejects(ollama.generate({ model: "llama3", prompt: "hi", stream: false }), ollamaResponseError(404, /"llama3" does not exist/));
    const response = await postJson(`${harness.url}/api/show`, { model: "llama3" });
    assert.equal(response.status, 404);
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ["error"]);
    assert.equal(typeof body.error, "string");
  });
});
