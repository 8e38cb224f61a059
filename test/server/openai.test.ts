/** The OpenAI-compatible routes, driven by the official `openai` client and by raw fetch for the wire details. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { Context } from "../../src/context/Context.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { ChatPromptRenderer } from "../../src/model/chatPrompt.js";
import { postJson, readServerSentEvents, startTestServer, type TestServer, openAiClient } from "./helpers.js";

let harness: TestServer;
let client: OpenAI;
let context: Context;
const model = "kjv-tiny-q8_0";

before(async () => {
  harness = await startTestServer();
  client = openAiClient(harness);
  context = harness.server.context!;
});
after(() => harness.server.close());

/** What the library itself generates for the same greedy request: the truth every transport must match. */
async function inProcess(prompt: string, maxTokens: number, stop?: string[]): Promise<string> {
  return (await context.generate(prompt, { temperature: 0, maxTokens, ...(stop === undefined ? {} : { stop }) })).text;
}

describe("chat completions", () => {
  test("non-streaming answers in OpenAI's shape with the in-process greedy text", async () => {
    const completion = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Who made the heaven?" }], max_tokens: 12, temperature: 0 });
    assert.match(completion.id, /^chatcmpl-[0-9a-f]{32}$/);
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.model, model);
    assert.equal(completion.choices.length, 1);
    const [choice] = completion.choices;
    assert.equal(choice!.message.role, "assistant");
    // The demo model has no chat template: the transcript fallback, with its turn stops.
    const expected = await inProcess("User: Who made the heaven?\nAssistant:", 12, ["\nUser:", "\nSystem:"]);
    assert.equal(choice!.message.content, expected);
    assert.ok(expected.length > 0);
    assert.ok(choice!.finish_reason === "length" || choice!.finish_reason === "stop");
    assert.equal(completion.usage!.total_tokens, completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    assert.ok(completion.usage!.completion_tokens <= 12 && completion.usage!.completion_tokens > 0);
  });

  test("streaming: stable id and created, role first, finish_reason last, usage chunk, same text as non-streaming", async () => {
    const request = { model, messages: [{ role: "system" as const, content: "Speak as the prophets." }, { role: "user" as const, content: "And God said" }], max_tokens: 10, temperature: 0 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length >= 3);
    const ids = new Set(chunks.map((chunk) => chunk.id));
    const created = new Set(chunks.map((chunk) => chunk.created));
    assert.equal(ids.size, 1);
    assert.equal(created.size, 1);
    assert.ok(chunks.every((chunk) => chunk.object === "chat.completion.chunk"));
    assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
    const usageChunk = chunks.at(-1)!;
    assert.deepEqual(usageChunk.choices, []);
    assert.equal(usageChunk.usage!.completion_tokens, 10);
    const finishing = chunks.at(-2)!;
    assert.equal(finishing.choices[0]!.finish_reason, "length");
    assert.ok(chunks.slice(0, -2).every((chunk) => chunk.choices[0]!.finish_reason === null));
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    assert.equal(text, whole.choices[0]!.message.content);
    assert.equal(usageChunk.usage!.prompt_tokens, whole.usage!.prompt_tokens);
  });

  test("a shared system prompt is reused from the cache on the next request", async () => {
    const system = "Thou shalt speak of the kings of Israel and of Judah, and of the prophets that were sent unto them.";
    await client.chat.completions.create({ model, messages: [{ role: "system", content: system }, { role: "user", content: "Who was king?" }], max_tokens: 2, temperature: 0 });
    const second = await client.chat.completions.create({ model, messages: [{ role: "system", content: system }, { role: "user", content: "Who was prophet?" }], max_tokens: 2, temperature: 0 });
    const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
    assert.ok(cached >= 20, `expected the system prompt's tokens to be reused, got ${cached}`);
    assert.ok(cached < second.usage!.prompt_tokens);
  });

  test("unsupported fields get a 400 naming them, not silence", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ n: 0 }, "n"],
      [{ top_logprobs: 2 }, "top_logprobs"],
      [{ tool_choice: { type: "function", function: { name: "f" } } }, "tool_choice"],
      [{ functions: [{ name: "f", parameters: {} }] }, "functions"],
      [{ presence_penalty: 3 }, "presence_penalty"],
      [{ frobnicate: true }, "frobnicate"],
    ];
    for (const [extra, param] of cases) {
      await assert.rejects(
        client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 2, ...extra } as never),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.BadRequestError, `${param}: ${String(error)}`);
          assert.equal(error.status, 400);
          assert.equal(error.param, param);
          assert.equal(error.type, "invalid_request_error");
          return true;
        },
      );
    }
  });

  test("fields that cannot change the answer are accepted; llama.cpp's sampling extras are honoured", async () => {
    const messages = [{ role: "user" as const, content: "Who made the heaven?" }];
    const plain = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
    const decorated = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 8,
      temperature: 0,
      store: false,
      metadata: { app: "test" },
      service_tier: "auto",
      user: "someone",
      modalities: ["text"],
      reasoning_effort: "low",
      stream_options: null,
      // llama.cpp's extras, sent the way its users send them.
      ...({ top_k: 1, min_p: 0, repeat_penalty: 1, cache_prompt: true } as object),
    });
    assert.equal(decorated.choices[0]!.message.content, plain.choices[0]!.message.content);
    // top_k: 1 at a high temperature is still greedy: the sampler honoured it.
    const sampledTopOne = await client.completions.create({ model, prompt: "And God said", max_tokens: 12, temperature: 2, seed: 7, ...({ top_k: 1 } as object) });
    assert.equal(sampledTopOne.choices[0]!.text, await inProcess("And God said", 12));
    await assert.rejects(
      client.chat.completions.create({ model, messages, modalities: ["text", "audio"] }),
      (error: InstanceType<typeof OpenAI.BadRequestError>) => error.status === 400 && /modalities/.test(error.message),
    );
  });

  test("a model the server does not serve is a 404 model_not_found", async () => {
    await assert.rejects(client.chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content: "hi" }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, "model_not_found");
      assert.match(error.message, /gpt-4/);
      return true;
    });
  });
});

describe("completions", () => {
  test("streamed and non-streamed text equal the in-process greedy text", async () => {
    const expected = await inProcess("And God said", 20);
    const whole = await client.completions.create({ model, prompt: "And God said", max_tokens: 20, temperature: 0 });
    assert.equal(whole.object, "text_completion");
    assert.equal(whole.choices[0]!.text, expected);
    assert.equal(whole.choices[0]!.finish_reason, "length");
    const stream = await client.completions.create({ model, prompt: "And God said", max_tokens: 20, temperature: 0, stream: true });
    let text = "";
    let finishReason: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    }
    assert.equal(text, expected);
    assert.equal(finishReason, "length");
  });

  test("max_tokens defaults to 16, as in OpenAI's API", async () => {
    const whole = await client.completions.create({ model, prompt: "And God said", temperature: 0 });
    assert.equal(whole.usage!.completion_tokens, 16);
  });

  test("a stop string ends the text and never leaks, streamed or not", async () => {
    const full = await inProcess("And God said", 40);
    assert.ok(full.includes("Babylon"), "the reference continuation mentions Babylon");
    const expected = full.slice(0, full.indexOf("Babylon"));
    const whole = await client.completions.create({ model, prompt: "And God said", max_tokens: 40, temperature: 0, stop: ["Babylon"] });
    assert.equal(whole.choices[0]!.text, expected);
    assert.equal(whole.choices[0]!.finish_reason, "stop");
    const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "And God said" }], max_tokens: 40, temperature: 0, stop: ["king"], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    assert.ok(!text.includes("king"), `stop string leaked: ${JSON.stringify(text)}`);
    const streamedCompletion = await client.completions.create({ model, prompt: "And God said", max_tokens: 40, temperature: 0, stop: ["Babylon"], stream: true });
    let streamedText = "";
    for await (const chunk of streamedCompletion) streamedText += chunk.choices[0]?.text ?? "";
    assert.equal(streamedText, expected);
  });

  test("a prompt of token ids works, and ids outside the vocabulary are a 400, not a crash", async () => {
    const tokens = context.model.tokenize("And God said", { addBos: true });
    const fromTokens = await client.completions.create({ model, prompt: tokens, max_tokens: 8, temperature: 0 });
    assert.equal(fromTokens.choices[0]!.text, await inProcess("And God said", 8));
    for (const prompt of [[1, 300, 1024], [1, -1], [1, 99_999_999]]) {
      await assert.rejects(client.completions.create({ model, prompt, max_tokens: 4 }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.match(error.message, /not a token id/);
        return true;
      });
    }
    const stillServing = await client.completions.create({ model, prompt: "And he said", max_tokens: 2, temperature: 0 });
    assert.equal(stillServing.usage!.completion_tokens, 2);
  });
});

describe("wire format", () => {
  test("SSE headers, keep-nothing-buffered, and data: [DONE] last", async () => {
    const response = await postJson(`${harness.url}/v1/completions`, { model, prompt: "And God said", max_tokens: 3, temperature: 0, stream: true });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    assert.match(response.headers.get("cache-control")!, /no-cache/);
    const events = [];
    for await (const event of readServerSentEvents(response.body!)) events.push(event);
    assert.equal(events.at(-1)!.data, "[DONE]");
    assert.equal(events.filter((event) => event.data === "[DONE]").length, 1);
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data!));
    assert.ok(chunks.every((chunk) => chunk.usage === undefined), "no usage fields without include_usage");
    assert.equal(chunks.at(-1).choices[0].finish_reason, "length");
  });

  test("GET /v1/models lists the served model", async () => {
    const models = [];
    for await (const entry of client.models.list()) models.push(entry);
    assert.deepEqual(
      models.map((entry) => [entry.id, entry.object, entry.owned_by]),
      [[model, "model", "mullama"]],
    );
    assert.equal((await client.models.retrieve(model)).id, model);
    await assert.rejects(client.models.retrieve("other"), OpenAI.NotFoundError);
  });

  test("no CORS headers when no origin was allowed", async () => {
    const response = await fetch(`${harness.url}/v1/models`, { headers: { origin: "http://evil.example" } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
  });
});

describe("chat prompts", () => {
  const chatml =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  test("a model without a template gets the transcript, with turn stops", () => {
    const renderer = ChatPromptRenderer.create(context.model);
    assert.equal(renderer.format, "transcript");
    assert.deepEqual(
      renderer.render([
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Peace." },
        { role: "user", content: "Again" },
      ]),
      { prompt: "System: Be brief.\nUser: Hi\nAssistant: Peace.\nUser: Again\nAssistant:", stop: ["\nUser:", "\nSystem:"] },
    );
  });

  test("a Jinja template renders every turn, ends with the assistant's opening, and stops at its end marker", () => {
    const renderer = ChatPromptRenderer.create(context.model, chatml);
    assert.equal(renderer.format, "custom-template");
    const rendered = renderer.render([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ]);
    assert.ok(Array.isArray(rendered.prompt));
    const text = context.model.detokenize(rendered.prompt as number[], { special: true });
    // This vocabulary has no ChatML tokens, so the markers are tokenized as text, and its tokenizer puts a space before each piece.
    assert.match(text, /<\|im_start\|>system\n ?Be brief\. ?<\|im_end\|>\n<\|im_start\|>user\n ?Hi ?<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    assert.ok(rendered.stop.some((stop) => stop.includes("<|im_end|>")), JSON.stringify(rendered.stop));
  });

  test("a broken template is refused when the server starts, not on the first request", () => {
    assert.throws(() => ChatPromptRenderer.create(context.model, "{% for %}"), InvalidArgumentError);
  });
});
