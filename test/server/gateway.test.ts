/**
 * `serve --upstream`: the server's API in front of other `mullama serve` engines on
 * loopback, driven by the official `openai` client (and raw fetch for Ollama and native
 * SSE). Greedy text and usage through the gateway equal the upstream's own; requests that
 * share a long prefix land on one upstream, whose prefix cache then hits; an upstream killed
 * mid-run leaves every request completed exactly or failed cleanly; an upstream down at
 * start is ejected and recovers; with every upstream full the answer is 503 + Retry-After.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import OpenAI from "openai";
import WebSocket from "ws";
import { affinityKey, chooseUpstream } from "../../src/server/upstreams/upstreamRouting.ts";
import { unusedPort } from "../helpers/ports.ts";
import { killChild, startChildUpstream, type ChildUpstream } from "./gatewayHelpers.ts";
import { openAiClient, postJson, readJsonLines, readServerSentEvents, startTestServer, waitFor, type TestServer } from "./helpers.ts";

const model = "kjv-tiny-q8_0";
const greedy = { temperature: 0 } as const;
/** Longer than the affinity prefix (256 characters by default), so only it decides the upstream. */
const sharedPrefix = "In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. And God said, Let there be light: and there was light. And God saw the light, that it was good. ";

async function streamCompletion(client: OpenAI, prompt: string, maxTokens: number) {
  const stream = await client.completions.create({ model, prompt, max_tokens: maxTokens, ...greedy, stream: true, stream_options: { include_usage: true } });
  let text = "";
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.text ?? "";
    usage = chunk.usage ?? usage;
  }
  return { text, usage };
}

function requestsOf(gateway: TestServer): Map<string, number> {
  return new Map(gateway.server.upstreams!.status().map((upstream) => [upstream.url, upstream.requests]));
}

describe("a gateway over two mullama upstreams", () => {
  let first: TestServer;
  let second: TestServer;
  let gateway: TestServer;
  let client: OpenAI;
  before(async () => {
    [first, second] = await Promise.all([startTestServer({ parallel: 2, contextSize: 512 }), startTestServer({ parallel: 2, contextSize: 512 })]);
    gateway = await startTestServer({ upstreams: [`${first.url}/v1`, `${second.url}/v1`], upstreamHealthIntervalMs: 200 });
    client = openAiClient(gateway);
  });
  after(async () => {
    await gateway.server.close();
    await Promise.all([first.server.close(), second.server.close()]);
  });

  test("lists the upstreams' models; greedy text and usage equal the upstream's own run", async () => {
    const listed = await client.models.list();
    assert.deepEqual(listed.data.map((entry) => entry.id), [model]);
    const prompt = "And the LORD spake unto Moses";
    const direct = await first.server.context!.generate(prompt, { ...greedy, maxTokens: 24 });
    const through = await streamCompletion(client, prompt, 24);
    assert.equal(through.text, direct.text);
    assert.equal(through.usage?.completion_tokens, direct.tokenCount);
    assert.equal(through.usage?.prompt_tokens, direct.promptTokens);
  });

  test("chat through the gateway equals chat on the upstream", async () => {
    const messages = [{ role: "user" as const, content: "Who made the light?" }];
    const direct = await openAiClient(first).chat.completions.create({ model, messages, max_tokens: 16, ...greedy });
    const stream = await client.chat.completions.create({ model, messages, max_tokens: 16, ...greedy, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text, direct.choices[0]?.message.content);
  });

  test("requests sharing a long prefix land on one upstream, and its prefix cache hits", async () => {
    const before = requestsOf(gateway);
    const cached: number[] = [];
    for (const question of ["Who divided the waters?", "What was upon the deep?", "What did God see?", "Where was the Spirit?"]) {
      const { usage } = await streamCompletion(client, sharedPrefix + question, 4);
      cached.push((usage as { prompt_tokens_details?: { cached_tokens?: number } } | undefined)?.prompt_tokens_details?.cached_tokens ?? -1);
    }
    const after = requestsOf(gateway);
    const added = [...after].map(([url, count]) => count - (before.get(url) ?? 0)).sort();
    assert.deepEqual(added, [0, 4], "all four on one upstream");
    assert.ok(cached.slice(1).every((tokens) => tokens > 40), `the shared prefix is reused from the cache after the first request: ${cached.join(", ")}`);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const home = [...after].find(([url, count]) => count - (before.get(url) ?? 0) === 4)![0];
    assert.match(metrics, new RegExp(`mullama_upstream_requests_total\\{upstream="${home.replaceAll(".", "\\.")}"\\} ${after.get(home)}\\n`));
    assert.match(metrics, /mullama_upstream_in_flight\{upstream="[^"]+"\} 0\n/);
    assert.match(metrics, /mullama_upstream_first_tokens_total\{upstream="[^"]+"\} [1-9]/);
  });

  test("prompts without a shared prefix spread over both upstreams (least outstanding requests)", async () => {
    const before = requestsOf(gateway);
    await Promise.all(["Thou shalt", "Blessed are", "The LORD is", "Honour thy"].map((prompt) => streamCompletion(client, prompt, 12)));
    const added = [...requestsOf(gateway)].map(([url, count]) => count - (before.get(url) ?? 0));
    assert.ok(added.every((count) => count >= 1), `both upstreams served some: ${added.join(", ")}`);
  });

  test("the Ollama API and native SSE route to the upstreams too", async () => {
    const ollama = await postJson(`${gateway.url}/api/chat`, { model, messages: [{ role: "user", content: "Hello" }], options: { temperature: 0, num_predict: 8 } });
    assert.equal(ollama.status, 200);
    const lines = [];
    for await (const line of readJsonLines(ollama.body!)) lines.push(line);
    assert.equal(lines.at(-1)?.done, true);
    assert.equal(lines.at(-1)?.eval_count, 8);
    const native = await postJson(`${gateway.url}/generate`, { model, prompt: "In the beginning", options: { temperature: 0, maxTokens: 8 } });
    assert.equal(native.status, 200);
    const events = [];
    for await (const event of readServerSentEvents(native.body!)) events.push(event);
    const direct = await first.server.context!.generate("In the beginning", { ...greedy, maxTokens: 8 });
    const text = events.filter((event) => event.event === "token").map((event) => (JSON.parse(event.data!) as { text: string }).text).join("");
    assert.equal(text, direct.text);
  });

  test("WebSocket generations route to the upstreams", async () => {
    const socket = new WebSocket(`${gateway.url.replace("http", "ws")}/ws`);
    const messages: { type: string; id?: string; text?: string }[] = [];
    socket.on("message", (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    socket.send(JSON.stringify({ type: "generate", id: "one", model, prompt: "The LORD is my", options: { temperature: 0, maxTokens: 10 } }));
    await waitFor(() => messages.some((message) => message.type === "done" && message.id === "one"), 20_000, "the WebSocket generation to end");
    socket.close();
    const direct = await first.server.context!.generate("The LORD is my", { ...greedy, maxTokens: 10 });
    assert.equal(messages.filter((message) => message.type === "token").map((message) => message.text).join(""), direct.text);
  });

  test("tools and response_format pass through to the upstream: a forced call streams its arguments, the JSON validates", async () => {
    const messages = [{ role: "user" as const, content: "Hello" }];
    const parameters = { type: "object", properties: { name: { type: "string", maxLength: 8 } }, required: ["name"], additionalProperties: false };
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters } }];
    const stream = await client.chat.completions.create({ model, messages, tools, tool_choice: { type: "function", function: { name: "lookup" } }, max_tokens: 64, ...greedy, stream: true });
    let argumentsText = "";
    let name: string | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        name ??= call.function?.name;
        argumentsText += call.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(name, "lookup");
    assert.equal(finish, "tool_calls");
    const validParameters = new Ajv().compile(parameters);
    assert.ok(validParameters(JSON.parse(argumentsText)), argumentsText);
    const response_format = { type: "json_schema" as const, json_schema: { name: "answer", schema: parameters } };
    const answer = await client.chat.completions.create({ model, messages, response_format, max_tokens: 64, ...greedy });
    assert.ok(validParameters(JSON.parse(answer.choices[0]!.message.content!)), answer.choices[0]!.message.content!);
    const ollama = (await (await postJson(`${gateway.url}/api/generate`, { model, prompt: "Hello", format: parameters, stream: false, options: { temperature: 0, num_predict: 64 } })).json()) as { response: string };
    assert.ok(validParameters(JSON.parse(ollama.response)), ollama.response);
    // A grammar cannot be sent to an engine: a 400 naming it, not an answer that ignores it.
    const withGrammar = await postJson(`${gateway.url}/generate`, { model, prompt: "Hello", options: { grammar: 'root ::= "yes"' } });
    assert.equal(withGrammar.status, 400);
    assert.match(await withGrammar.text(), /grammar/);
  });

  test("/health lists each upstream: healthy, its models and counts", async () => {
    const health = (await (await fetch(`${gateway.url}/health`)).json()) as { status: string; upstreams: { url: string; healthy: boolean; models: string[]; requests: number; inFlight: number }[] };
    assert.equal(health.status, "ok");
    assert.deepEqual(health.upstreams.map((upstream) => [upstream.url, upstream.healthy, upstream.models]), [
      [`${first.url}/v1`, true, [model]],
      [`${second.url}/v1`, true, [model]],
    ]);
    assert.ok(health.upstreams.every((upstream) => upstream.requests > 0 && upstream.inFlight === 0));
  });
});

describe("an upstream killed mid-run", () => {
  let steady: TestServer;
  let killable: ChildUpstream;
  let gateway: TestServer;
  before(async () => {
    [steady, killable] = await Promise.all([startTestServer({ parallel: 4, contextSize: 512 }), startChildUpstream()]);
    // Prompts under 16 characters have no affinity (least outstanding requests spreads them); a longer one goes to its home.
    gateway = await startTestServer({ upstreams: [`${steady.url}/v1`, killable.baseUrl], upstreamHealthIntervalMs: 200, affinityPrefixLength: 16 });
  });
  after(async () => {
    await killChild(killable.child);
    await gateway.server.close();
    await steady.server.close();
  });

  /** A prompt whose affinity home is the upstream to be killed, and whose greedy answer is long: it is surely mid-stream there at the kill. */
  async function promptPinnedTo(baseUrl: string): Promise<string> {
    const candidates = gateway.server.upstreams!.upstreams.map((upstream) => ({ baseUrl: upstream.baseUrl, inFlight: 0, maxInFlight: upstream.maxInFlight }));
    for (let day = 1; day < 100; day++) {
      // The day comes first: it is within the 16 characters that choose the upstream.
      const prompt = `${day}. Now these are the generations of`;
      if (chooseUpstream(candidates, affinityKey({ prompt }, 16))?.baseUrl !== baseUrl) continue;
      if ((await steady.server.context!.generate(prompt, { ...greedy, maxTokens: 120 })).tokenCount >= 80) return prompt;
    }
    throw new Error("no prompt found");
  }

  test("every request completes with the exact greedy text or fails cleanly; later ones fail over", async () => {
    const client = openAiClient(gateway);
    const prompts = ["And God said", "Thou shalt love", "The LORD is my", "Blessed are the", "Honour thy", "Let there be"];
    const expected = new Map<string, string>();
    for (const prompt of prompts) expected.set(prompt, (await steady.server.context!.generate(prompt, { ...greedy, maxTokens: 40 })).text);
    const settle = (prompt: string) =>
      Promise.race([
        streamCompletion(client, prompt, 40).then(({ text }) => ({ prompt, text }), (error: unknown) => ({ prompt, error })),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`"${prompt}" hung`)), 60_000).unref()),
      ]);
    const pinnedPrompt = await promptPinnedTo(killable.baseUrl);
    const during = prompts.map(settle);
    const pinned = await client.completions.create({ model, prompt: pinnedPrompt, max_tokens: 120, ...greedy, stream: true });
    const pinnedChunks = pinned[Symbol.asyncIterator]();
    await pinnedChunks.next();
    // At least 80 tokens to go on the pinned stream; the short ones may or may not have started on the killed upstream.
    await killChild(killable.child);
    const upstreamOf = (url: string) => gateway.server.upstreams!.status().find((upstream) => upstream.url === url)!;
    // The pinned stream was past its first token: it ends with a clean error, not a retry that would repeat its text.
    await assert.rejects(
      (async () => {
        for (let next = await pinnedChunks.next(); !next.done; next = await pinnedChunks.next());
      })(),
      (error: unknown) => error instanceof OpenAI.APIError,
    );
    const afterwards = prompts.map(settle);
    const outcomes = await Promise.all([...during, ...afterwards]);
    for (const outcome of outcomes) {
      if ("text" in outcome) assert.equal(outcome.text, expected.get(outcome.prompt), `"${outcome.prompt}": no token lost or repeated`);
      else assert.ok(outcome.error instanceof OpenAI.APIError, `"${outcome.prompt}" failed cleanly, not with ${String(outcome.error)}`);
    }
    const afterwardsOutcomes = outcomes.slice(prompts.length);
    assert.ok(afterwardsOutcomes.every((outcome) => "text" in outcome), "requests after the kill fail over and complete");
    await waitFor(() => !upstreamOf(killable.baseUrl).healthy, 5_000, "the killed upstream to be ejected");
    assert.ok(upstreamOf(killable.baseUrl).errors > 0);
  });
});

describe("an upstream down at start", () => {
  test("is ejected, requests go to the others, and it recovers once it answers", async () => {
    const steady = await startTestServer({ parallel: 2, contextSize: 512 });
    const port = await unusedPort();
    const gateway = await startTestServer({ upstreams: [`http://127.0.0.1:${port}/v1`, `${steady.url}/v1`], upstreamHealthIntervalMs: 100 });
    let late: TestServer | undefined;
    try {
      const upstreamOf = (index: number) => gateway.server.upstreams!.status()[index]!;
      assert.equal(upstreamOf(0).healthy, false);
      assert.deepEqual(upstreamOf(0).models, []);
      for (let index = 0; index < 3; index++) await streamCompletion(openAiClient(gateway), `${index}: And God said`, 4);
      assert.equal(upstreamOf(0).requests, 0, "nothing is routed to an ejected upstream");
      late = await startTestServer({ port, parallel: 2, contextSize: 512 });
      await waitFor(() => upstreamOf(0).healthy, 5_000, "the late upstream to recover");
      assert.deepEqual(upstreamOf(0).models, [model]);
      await Promise.all(["Thou shalt", "Blessed are", "The LORD is", "Honour thy"].map((prompt) => streamCompletion(openAiClient(gateway), prompt, 8)));
      assert.ok(upstreamOf(0).requests > 0, "the recovered upstream takes requests again");
    } finally {
      await gateway.server.close();
      await Promise.all([steady.server.close(), late?.server.close()]);
    }
  });
});

describe("no healthy upstream", () => {
  test("a model whose every upstream is ejected answers 503 NO_UPSTREAM with Retry-After, before any stream starts", async () => {
    const upstream = await startTestServer({ parallel: 1, contextSize: 512 });
    const gateway = await startTestServer({ upstreams: [`${upstream.url}/v1`], upstreamHealthIntervalMs: 100, upstreamEjectAfterFailures: 1 });
    try {
      await upstream.server.close();
      await waitFor(() => !gateway.server.upstreams!.status()[0]!.healthy, 5_000, "the closed upstream to be ejected");
      const response = await postJson(`${gateway.url}/v1/completions`, { model, prompt: "And God said", max_tokens: 4, stream: true });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("retry-after"), "1");
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "no_upstream");
    } finally {
      await gateway.server.close();
    }
  });
});

describe("every upstream full", () => {
  test("answers 503 with Retry-After, and serves again once a request ends", async () => {
    const upstream = await startTestServer({ parallel: 2, contextSize: 512 });
    const gateway = await startTestServer({ upstreams: [`${upstream.url}/v1`], upstreamMaxInFlight: 1, maxQueue: 0 });
    try {
      const client = openAiClient(gateway);
      const controller = new AbortController();
      // Read one chunk and stop pulling: the request stays in flight.
      const holding = await client.completions.create({ model, prompt: "And God said", max_tokens: 400, stream: true }, { signal: controller.signal });
      const iterator = holding[Symbol.asyncIterator]();
      await iterator.next();
      await assert.rejects(
        client.completions.create({ model, prompt: "Thou shalt", max_tokens: 4 }),
        (error: unknown) => error instanceof OpenAI.APIError && error.status === 503 && Number(error.headers?.get?.("retry-after") ?? (error.headers as Record<string, string> | undefined)?.["retry-after"]) >= 1,
      );
      controller.abort();
      await iterator.return?.();
      await waitFor(() => gateway.server.upstreams!.status()[0]!.inFlight === 0, 5_000, "the held request to end");
      const answer = await client.completions.create({ model, prompt: "Thou shalt", max_tokens: 4, ...greedy });
      assert.equal(answer.usage?.completion_tokens, 4);
    } finally {
      await gateway.server.close();
      await upstream.server.close();
    }
  });
});
