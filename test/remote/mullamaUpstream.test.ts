/**
 * Context.connect against a real OpenAI-compatible engine: another `mullama serve`, in
 * process on loopback, on the demo model. Greedy text through the wire equals the local
 * greedy text; stop strings hold; every way of stopping frees the upstream's sequence at
 * once; the engine's refusals arrive as typed errors.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  Context,
  InvalidArgumentError,
  RemoteAuthenticationError,
  RemoteBusyError,
  RemoteConnectionError,
  RemoteModelNotFoundError,
  type StreamPart,
} from "../../src/index.ts";
import { unusedPort } from "../helpers/ports.ts";
import { connectedUpstream } from "./connectedUpstream.ts";
import { startTestServer, waitFor, type TestServer } from "../server/helpers.ts";

const greedy = { temperature: 0 } as const;
const prompt = "In the beginning";

describe("Context.connect to another mullama server", () => {
  const connection = connectedUpstream({ parallel: 2, contextSize: 512 });
  const busy = () => connection.upstream.server.context?.busySequences ?? -1;

  test("the model defaults to the engine's first; greedy text and usage equal the local run", async () => {
    assert.equal(connection.remote.model, "kjv-tiny-q8_0");
    const local = await connection.upstream.server.context!.generate(prompt, { ...greedy, maxTokens: 24 });
    const pieces: string[] = [];
    const result = await connection.remote.generateStreaming(prompt, 24, (text) => void pieces.push(text), greedy);
    assert.equal(result.text, local.text);
    assert.equal(pieces.join(""), local.text);
    assert.ok(pieces.length > 1, "the text arrives in pieces, as it is generated");
    assert.equal(result.stopReason, "maxTokens");
    assert.equal(result.tokenCount, 24);
    assert.equal(result.promptTokens, local.promptTokens);
  });

  test("penalties and logit biases travel to the engine; logprobs and a penalty window, which cannot, are refused", async () => {
    const options = { ...greedy, maxTokens: 24, frequencyPenalty: 2, presencePenalty: 1, logitBias: { 5: -100 } };
    const local = await connection.upstream.server.context!.generate(prompt, options);
    assert.equal((await connection.remote.generate(prompt, options)).text, local.text);
    assert.notEqual(local.text, (await connection.upstream.server.context!.generate(prompt, { ...greedy, maxTokens: 24 })).text);
    for (const [refused, argument] of [[{ logprobs: 2 }, "options.logprobs"], [{ penaltyWindow: 8 }, "options.penaltyWindow"]] as const) {
      assert.throws(() => connection.remote.stream(prompt, refused), (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument);
    }
  });

  test("parts end with one finish part; observers see the same stream", async () => {
    const seen: string[] = [];
    const stream = connection.remote.stream(prompt, { ...greedy, maxTokens: 8, observer: { onFirstToken: () => seen.push("first"), onFinish: (part) => seen.push(part.type) } });
    const parts: StreamPart[] = [];
    for await (const part of stream.parts()) parts.push(part);
    assert.equal(parts.at(-1)?.type, "finish");
    assert.equal(parts.filter((part) => part.type === "finish").length, 1);
    assert.deepEqual(seen, ["first", "finish"]);
  });

  test("a stop string ends the text before it, and is never emitted", async () => {
    const local = await connection.upstream.server.context!.generate(prompt, { ...greedy, maxTokens: 24 });
    const stop = local.text.slice(12, 17);
    const expected = local.text.slice(0, local.text.indexOf(stop));
    const result = await connection.remote.generate(prompt, { ...greedy, maxTokens: 24, stop });
    assert.equal(result.text, expected);
    assert.ok(!result.text.includes(stop));
  });

  test("chat goes through /chat/completions with the engine's own chat format", async () => {
    const messages = [{ role: "user" as const, content: "Who made the heaven?" }];
    const direct = await fetch(`${connection.upstream.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: connection.remote.model, messages, max_tokens: 16, temperature: 0 }),
    });
    const expected = ((await direct.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    assert.equal(await connection.remote.chat(messages, { ...greedy, maxTokens: 16 }).text(), expected);
  });

  test("break, an AbortSignal and callback false each free the upstream's sequence at once", async () => {
    const stream = connection.remote.stream(prompt, { ...greedy, maxTokens: 400 });
    let pieces = 0;
    for await (const _event of stream) if (++pieces === 3) break;
    assert.equal((await stream.result).stopReason, "callback");
    await waitFor(() => busy() === 0, 2_000, "the upstream to free the sequence after break");

    const controller = new AbortController();
    const aborted = connection.remote.stream(prompt, { ...greedy, maxTokens: 400, signal: controller.signal });
    pieces = 0;
    for await (const _event of aborted) if (++pieces === 2) controller.abort();
    assert.equal((await aborted.result).stopReason, "abort");
    await waitFor(() => busy() === 0, 2_000, "the upstream to free the sequence after abort");

    const stopped = await connection.remote.generateStreaming(prompt, 400, () => false, greedy);
    assert.equal(stopped.stopReason, "callback");
    assert.equal(stopped.text.length > 0, true);
    await waitFor(() => busy() === 0, 2_000, "the upstream to free the sequence after callback false");
  });

  test("closing a stream while a read is pending ends it at once", async () => {
    const stream = connection.remote.stream(prompt, { ...greedy, maxTokens: 400 });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    void iterator.next();
    await stream.close();
    assert.equal((await stream.result).stopReason, "callback");
    await waitFor(() => busy() === 0, 2_000, "the upstream to free the sequence after close");
  });

  test("an unknown model is a RemoteModelNotFoundError at connect", async () => {
    await assert.rejects(Context.connect(`${connection.upstream.url}/v1`, { model: "no-such-model" }), (error: unknown) => error instanceof RemoteModelNotFoundError && error.code === "REMOTE_MODEL_NOT_FOUND");
  });
});

describe("Context.connect: refusals become typed errors", () => {
  let upstream: TestServer;
  before(async () => {
    upstream = await startTestServer({ parallel: 1, maxQueue: 0, contextSize: 512, apiKey: "secret" });
  });
  after(() => upstream.server.close());

  test("a missing or wrong API key is a RemoteAuthenticationError (401)", async () => {
    for (const apiKey of [undefined, "wrong"]) {
      await assert.rejects(Context.connect(`${upstream.url}/v1`, apiKey === undefined ? {} : { apiKey }), (error: unknown) => error instanceof RemoteAuthenticationError && error.status === 401 && error.code === "REMOTE_UNAUTHORIZED");
    }
  });

  test("a full engine is a RemoteBusyError with its Retry-After, once the retries are spent", async () => {
    const remote = await Context.connect(`${upstream.url}/v1`, { apiKey: "secret", retry: { retries: 1, initialDelayMs: 10, maxDelayMs: 10 } });
    const holder = remote.stream(prompt, { ...greedy, maxTokens: 400 });
    const iterator = holder[Symbol.asyncIterator]();
    await iterator.next();
    await assert.rejects(remote.generate(prompt, { ...greedy, maxTokens: 4 }), (error: unknown) => error instanceof RemoteBusyError && error.status === 503 && typeof error.retryAfterMs === "number" && error.retryAfterMs >= 1000);
    await holder.close();
    await waitFor(() => upstream.server.context?.busySequences === 0, 2_000, "the sequence to be free");
    // With the slot free again, the same request goes through.
    assert.equal((await remote.generate(prompt, { ...greedy, maxTokens: 4 })).tokenCount, 4);
  });

  test("a refused connection is a RemoteConnectionError", async () => {
    const port = await unusedPort();
    await assert.rejects(Context.connect(`http://127.0.0.1:${port}/v1`, { model: "any" }), (error: unknown) => error instanceof RemoteConnectionError && error.code === "REMOTE_UNREACHABLE" && /ECONNREFUSED/.test(error.message));
  });
});
