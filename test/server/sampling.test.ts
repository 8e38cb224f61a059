/** Log-probabilities, penalties and logit biases through the official `openai` and `ollama` clients. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ollama } from "ollama";
import OpenAI from "openai";
import type { Context } from "../../src/context/Context.js";
import WebSocket from "ws";
import { ollamaResponseError, postJson, readServerSentEvents, startTestServer, type TestServer, openAiClient } from "./helpers.js";

let harness: TestServer;
let client: OpenAI;
let ollama: Ollama;
let context: Context;
const model = "kjv-tiny-q8_0";
const messages = [{ role: "user" as const, content: "Who made the heaven?" }];

before(async () => {
  harness = await startTestServer();
  client = openAiClient(harness);
  ollama = new Ollama({ host: harness.url });
  context = harness.server.context!;
});
after(() => harness.server.close());

describe("logprobs", () => {
  test("chat: every token's logprob, bytes and top alternatives; greedy picks the top one", async () => {
    const completion = await client.chat.completions.create({ model, messages, max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 3 });
    const choice = completion.choices[0]!;
    const content = choice.logprobs!.content!;
    assert.equal(content.length, completion.usage!.completion_tokens);
    assert.equal(content.map((entry) => entry.token).join(""), choice.message.content);
    for (const entry of content) {
      assert.ok(entry.logprob <= 0 && Math.exp(entry.logprob) <= 1);
      assert.deepEqual(entry.bytes, [...Buffer.from(entry.token)]);
      assert.equal(entry.top_logprobs.length, 3);
      assert.equal(entry.top_logprobs[0]!.token, entry.token);
      assert.equal(entry.top_logprobs[0]!.logprob, entry.logprob);
    }
  });

  test("chat stream: each chunk carries its tokens' logprobs, and they equal the whole answer's", async () => {
    const whole = await client.chat.completions.create({ model, messages, max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 2 });
    const stream = await client.chat.completions.create({ model, messages, max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 2, stream: true });
    const streamed: OpenAI.Chat.Completions.ChatCompletionTokenLogprob[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) assert.ok(choice.logprobs?.content, "a text chunk carries logprobs");
      streamed.push(...(choice?.logprobs?.content ?? []));
    }
    assert.deepEqual(streamed, whole.choices[0]!.logprobs!.content);
  });

  test("completions: tokens, token_logprobs, top_logprobs and text_offset, streamed the same", async () => {
    const prompt = "And God said";
    const completion = await client.completions.create({ model, prompt, max_tokens: 8, temperature: 0, logprobs: 2 });
    const { text, logprobs } = completion.choices[0]!;
    assert.equal(logprobs!.tokens!.join(""), text);
    assert.equal(logprobs!.token_logprobs!.length, 8);
    logprobs!.tokens!.forEach((token, index) => {
      assert.equal(text.slice(logprobs!.text_offset![index], logprobs!.text_offset![index]! + token.length), token);
      const top = logprobs!.top_logprobs![index]!;
      assert.equal(Object.keys(top).length, 2);
      assert.equal(top[token], logprobs!.token_logprobs![index], "the chosen token is the most likely under greedy sampling");
    });
    const offsets: number[] = [];
    for await (const chunk of await client.completions.create({ model, prompt, max_tokens: 8, temperature: 0, logprobs: 2, stream: true })) {
      offsets.push(...(chunk.choices[0]?.logprobs?.text_offset ?? []));
    }
    assert.deepEqual(offsets, logprobs!.text_offset);
  });

  test("no logprobs unless asked; top_logprobs without logprobs and out of range are refused", async () => {
    const plain = await client.chat.completions.create({ model, messages, max_tokens: 2, temperature: 0 });
    assert.equal(plain.choices[0]!.logprobs, null);
    for (const [extra, param] of [[{ top_logprobs: 2 }, "top_logprobs"], [{ logprobs: true, top_logprobs: 21 }, "top_logprobs"]] as const) {
      await assert.rejects(client.chat.completions.create({ model, messages, max_tokens: 2, ...extra }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === param);
    }
  });
});

describe("penalties and logit bias", () => {
  const prompt = "And God said";

  test("logit_bias -100 on the greedy first token changes it; +100 forces a token", async () => {
    const plain = await client.completions.create({ model, prompt, max_tokens: 1, temperature: 0, logprobs: 0 });
    const first = plain.choices[0]!.text;
    let token: number | undefined;
    for await (const event of context.stream(prompt, { temperature: 0, maxTokens: 1 })) token = event.tokens[0];
    const banned = await client.completions.create({ model, prompt, max_tokens: 1, temperature: 0, logit_bias: { [String(token)]: -100 } });
    assert.notEqual(banned.choices[0]!.text, first);
    const forced = context.model.tokenize(" LORD", { addBos: false }).at(-1)!;
    const pushed = await client.completions.create({ model, prompt, max_tokens: 3, temperature: 0, logit_bias: { [String(forced)]: 100 }, logprobs: 0 });
    assert.match(pushed.choices[0]!.text, /^( ?LORD){3}$/);
    assert.equal(pushed.choices[0]!.logprobs!.tokens!.length, 3);
  });

  test("frequency_penalty and presence_penalty change a repetitive greedy output", async () => {
    const request = { model, prompt: "and the LORD said unto", max_tokens: 48, temperature: 0 };
    const plain = (await client.completions.create(request)).choices[0]!.text;
    const frequency = (await client.completions.create({ ...request, frequency_penalty: 2 })).choices[0]!.text;
    const presence = (await client.completions.create({ ...request, presence_penalty: 2 })).choices[0]!.text;
    assert.notEqual(frequency, plain);
    assert.notEqual(presence, plain);
    assert.equal(frequency, (await context.generate(request.prompt, { temperature: 0, maxTokens: 48, frequencyPenalty: 2 })).text);
  });

  test("a logit_bias on a token outside the vocabulary, or out of range, is a 400", async () => {
    for (const logit_bias of [{ "999999": -100 }, { "5": 101 }, { abc: 1 }] as Record<string, number>[]) {
      await assert.rejects(client.completions.create({ model, prompt, max_tokens: 1, logit_bias }), (error: unknown) => error instanceof OpenAI.BadRequestError && String(error.param).includes("logit"));
    }
  });
});

describe("ollama", () => {
  const prompt = "And God said";

  test("logprobs and top_logprobs on /api/generate, streamed and whole, agree with the OpenAI route", async () => {
    const whole = await ollama.generate({ model, prompt, stream: false, logprobs: true, top_logprobs: 2, options: { temperature: 0, num_predict: 8 } });
    const entries = whole.logprobs!;
    assert.equal(entries.length, 8);
    assert.equal(entries.map((entry) => entry.token).join(""), whole.response);
    for (const entry of entries) {
      assert.equal(entry.top_logprobs!.length, 2);
      assert.equal(entry.top_logprobs![0]!.token, entry.token);
      assert.equal(entry.top_logprobs![0]!.logprob, entry.logprob);
    }
    const streamed = [];
    for await (const chunk of await ollama.generate({ model, prompt, stream: true, logprobs: true, top_logprobs: 2, options: { temperature: 0, num_predict: 8 } })) streamed.push(...(chunk.logprobs ?? []));
    assert.deepEqual(streamed, entries);
    const openai = await client.completions.create({ model, prompt, max_tokens: 8, temperature: 0, logprobs: 2 });
    assert.deepEqual(entries.map((entry) => entry.logprob), openai.choices[0]!.logprobs!.token_logprobs);
  });

  test("logprobs on /api/chat; none unless asked; top_logprobs alone is refused", async () => {
    const messages = [{ role: "user", content: "Who made the heaven?" }];
    const answer = await ollama.chat({ model, messages, stream: false, logprobs: true, options: { temperature: 0, num_predict: 6 } });
    assert.equal(answer.logprobs!.map((entry) => entry.token).join(""), answer.message.content);
    assert.ok(answer.logprobs!.every((entry) => entry.top_logprobs!.length === 0));
    const plain = await ollama.chat({ model, messages, stream: false, options: { temperature: 0, num_predict: 6 } });
    assert.equal(plain.logprobs, undefined);
    await assert.rejects(ollama.chat({ model, messages, stream: false, top_logprobs: 2 }), ollamaResponseError(400, /top_logprobs/));
  });

  test("presence_penalty, frequency_penalty and repeat_last_n are honoured", async () => {
    const request = { model, prompt: "and the LORD said unto", stream: false as const };
    const generate = async (options: Record<string, number>) => (await ollama.generate({ ...request, options: { temperature: 0, num_predict: 48, ...options } })).response;
    const plain = await generate({});
    assert.equal(await generate({ frequency_penalty: 2 }), (await context.generate(request.prompt, { temperature: 0, maxTokens: 48, frequencyPenalty: 2 })).text);
    assert.notEqual(await generate({ frequency_penalty: 2 }), plain);
    assert.notEqual(await generate({ presence_penalty: 2 }), plain);
    assert.equal(await generate({ presence_penalty: 2, repeat_last_n: 0 }), plain, "a window of 0 turns the penalties off");
    assert.notEqual(await generate({ presence_penalty: 2, repeat_last_n: -1 }), plain);
    await assert.rejects(generate({ presence_penalty: 3 }), ollamaResponseError(400, /presence_penalty/));
  });
});

describe("n choices", () => {
  const sampled = { temperature: 1, seed: 7 };

  test("chat: n choices with their index, different with a seed, usage summed", async () => {
    const completion = await client.chat.completions.create({ model, messages, max_tokens: 12, ...sampled, n: 3, logprobs: true });
    assert.deepEqual(completion.choices.map((choice) => choice.index), [0, 1, 2]);
    const texts = completion.choices.map((choice) => choice.message.content);
    assert.ok(new Set(texts).size > 1, `choices differ: ${JSON.stringify(texts)}`);
    const tokens = completion.choices.reduce((sum, choice) => sum + choice.logprobs!.content!.length, 0);
    assert.equal(completion.usage!.completion_tokens, tokens);
    const again = await client.chat.completions.create({ model, messages, max_tokens: 12, ...sampled, n: 3 });
    assert.deepEqual(again.choices.map((choice) => choice.message.content), texts, "a seed makes the choices reproducible");
  });

  test("streamed choices come interleaved with their index, each with its finish_reason, and equal the whole answer's", async () => {
    const whole = await client.completions.create({ model, prompt: "And God said", max_tokens: 16, ...sampled, n: 2 });
    const stream = await client.completions.create({ model, prompt: "And God said", max_tokens: 16, ...sampled, n: 2, stream: true, stream_options: { include_usage: true } });
    const texts = ["", ""];
    const finishes: (string | null)[] = [null, null];
    const order: number[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.text;
        if (choice.text !== "") order.push(choice.index);
        if (choice.finish_reason) finishes[choice.index] = choice.finish_reason;
      }
    }
    assert.deepEqual(texts, whole.choices.map((choice) => choice.text));
    assert.deepEqual(finishes, whole.choices.map((choice) => choice.finish_reason));
    assert.equal(usage!.completion_tokens, whole.usage!.completion_tokens);
    // Both sequences decode together: the second choice's text starts before the first's ends.
    assert.ok(order.indexOf(1) < order.lastIndexOf(0), `interleaved: ${order.join("")}`);
  });

  test("more choices than the context's sequences is a 400 naming n", async () => {
    await assert.rejects(client.chat.completions.create({ model, messages, max_tokens: 2, n: 5 }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === "n" && /at most 4/.test(error.message));
  });
});

describe("native SSE and WebSocket", () => {
  test("token events carry logprobs when the options ask for them, equal to the library's", async () => {
    const options = { maxTokens: 6, temperature: 0, logprobs: 1 };
    const expected = [];
    for await (const event of context.stream("And God said", options)) expected.push(...event.logprobs!);
    const response = await postJson(`${harness.url}/generate`, { prompt: "And God said", options });
    const viaSse = [];
    for await (const event of readServerSentEvents(response.body!)) if (event.event === "token") viaSse.push(...JSON.parse(event.data!).logprobs);
    assert.deepEqual(viaSse, expected);

    const socket = new WebSocket(`${harness.url.replace("http", "ws")}/ws`);
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const viaSocket: unknown[] = [];
    await new Promise<void>((resolve) => {
      socket.on("message", (data) => {
        const message = JSON.parse(String(data));
        if (message.type === "token") viaSocket.push(...message.logprobs);
        if (message.type === "done" || message.type === "error") resolve();
      });
      socket.send(JSON.stringify({ type: "generate", id: "a", prompt: "And God said", options }));
    });
    socket.close();
    assert.deepEqual(viaSocket, expected);
  });
});
