/**
 * The worker bridge, in both directions on the demo model, plus flow control and error
 * rebuilding on fake sources (no model). This file is also the worker's script: loaded in
 * a worker thread it plays the role named in workerData instead of registering tests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from "node:worker_threads";
import { Context, Model, defaultModelPath, type GenerationResult, type TokenEvent } from "../../src/index.ts";
import { ChannelClosedError, ContextOverflowError, GenerationError, MullamaError, PullError, SequenceUnavailableError } from "../../src/errors.ts";
import { sendErrorToPort, sendStreamToPort } from "../../src/streaming/workerBridgeSender.ts";
import { receiveStreamFromPort } from "../../src/streaming/workerBridgeReceiver.ts";

const expectedGreedy = " unto him, I will not go up to the king of Babylon, and to";

/** A request the main thread sends to the model-hosting worker. */
interface GenerateRequest {
  id: number;
  prompt: string;
  options: { maxTokens: number; temperature?: number; wait?: boolean };
  port: MessagePort;
}

/** What the consuming worker reports back. */
interface ConsumerReport {
  texts: string[];
  result?: GenerationResult;
  error?: { name: string; code: unknown; message: string; isMullamaError: boolean };
}

function spawnSelf(role: string, data: Record<string, unknown> = {}, transferList: MessagePort[] = []): Worker {
  // The worker must load tsx before it can import this TypeScript file, and on Node 20
  // `execArgv: ["--import", "tsx"]` does not reach a worker's module loader: register it by hand.
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: { role, ...data }, transferList });
}

/** The model-hosting worker: one model, one context of one sequence, a stream per request. */
async function hostModel(): Promise<void> {
  const model = await Model.load(defaultModelPath);
  const context = await Context.create(model, { threads: 1, sequences: 1 });
  parentPort!.on("message", async (message: GenerateRequest | "close") => {
    if (message === "close") {
      await context.dispose();
      await model.dispose();
      parentPort!.close();
      return;
    }
    let outcome: string;
    try {
      outcome = await sendStreamToPort(context.stream(message.prompt, message.options), message.port);
    } catch (error) {
      // context.stream throws before there is a stream (a prompt that cannot fit).
      sendErrorToPort(error, message.port);
      outcome = "rejected";
    }
    message.port.close();
    parentPort!.postMessage({ id: message.id, outcome, busySequences: context.busySequences });
  });
  parentPort!.postMessage("ready");
}

/** The consuming worker: reads the stream from its port, maybe leaves after `stopAfter` events, reports back. */
async function consume(port: MessagePort, stopAfter: number | undefined): Promise<void> {
  const stream = receiveStreamFromPort(port, { window: 4 });
  const report: ConsumerReport = { texts: [] };
  try {
    for await (const event of stream) {
      report.texts.push(event.text);
      if (report.texts.length === stopAfter) break;
    }
    report.result = await stream.result;
  } catch (error) {
    const failure = error as Error & { code?: unknown };
    report.error = { name: failure.name, code: failure.code, message: failure.message, isMullamaError: error instanceof MullamaError };
  }
  parentPort!.postMessage(report);
  port.close();
}

if (!isMainThread) {
  const role = (workerData as { role: string }).role;
  if (role === "model-host") await hostModel();
  else await consume((workerData as { port: MessagePort }).port, (workerData as { stopAfter?: number }).stopAfter);
} else {
  registerTests();
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

function exited(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once("exit", resolve));
}

async function* fakeTokens(count: number, state: { pulled: number; stopped: boolean }, failWith?: unknown): AsyncGenerator<TokenEvent> {
  try {
    for (let index = 0; index < count; index++) {
      state.pulled++;
      yield { text: `t${index} `, tokens: [index], index, tokenCount: index + 1, elapsedMs: index };
    }
    if (failWith !== undefined) throw failWith;
  } finally {
    state.stopped = true;
  }
}

function registerTests(): void {
  test("flow control: the producer never runs more than `window` events ahead of a slow consumer", async () => {
    const { port1, port2 } = new MessageChannel();
    const state = { pulled: 0, stopped: false };
    const source = Object.assign(fakeTokens(40, state), { result: Promise.resolve({ total: 40 }) });
    const sending = sendStreamToPort(source, port1);
    const stream = receiveStreamFromPort<TokenEvent, { total: number }>(port2, { window: 4 });
    let consumed = 0;
    let mostAhead = 0;
    for await (const event of stream) {
      assert.equal(event.index, consumed, "in order");
      consumed++;
      // A slow consumer: give the producer every chance to run ahead.
      await new Promise((resolve) => setTimeout(resolve, 2));
      mostAhead = Math.max(mostAhead, state.pulled - consumed);
    }
    assert.equal(consumed, 40);
    assert.ok(mostAhead <= 4, `the producer ran ${mostAhead} events ahead with a window of 4`);
    assert.ok(mostAhead >= 2, `the producer worked ahead (${mostAhead}), not in lock-step`);
    assert.deepEqual(await stream.result, { total: 40 });
    assert.equal(await sending, "completed");
    port1.close();
  });

  test("a consumer as fast as the producer keeps granting credits until the end", { timeout: 10_000 }, async () => {
    // Each event is awaited before it arrives, so credits are counted on the direct hand-over path.
    const { port1, port2 } = new MessageChannel();
    const state = { pulled: 0, stopped: false };
    const sending = sendStreamToPort(fakeTokens(100, state), port1);
    const texts: string[] = [];
    for await (const event of receiveStreamFromPort(port2, { window: 3 })) texts.push(event.text);
    assert.equal(texts.length, 100);
    assert.equal(texts[99], "t99 ");
    assert.equal(await sending, "completed");
    assert.equal(state.stopped, true);
    port1.close();
  });

  test("errors cross the port as the same class with the same fields", async () => {
    const cases: Array<[unknown, (error: unknown) => boolean]> = [
      [new ContextOverflowError(250, 100, 256), (error) => error instanceof ContextOverflowError && error.code === "CONTEXT_OVERFLOW" && error.contextSize === 256 && error.promptTokens === 250 && /exceeds the context size \(256 tokens\)/.test(error.message)],
      [new GenerationError("decode failed"), (error) => error instanceof GenerationError && error.name === "GenerationError" && error.message === "decode failed"],
      // A class added to the tree later crosses as itself too (errors.ts is the one list).
      [new PullError("hf:a/b", "network", "the connection dropped", { resumable: true }), (error) => error instanceof PullError && error.failure === "network" && error.resumable === true],
      [new TypeError("not a function"), (error) => error instanceof Error && !(error instanceof MullamaError) && (error as { code?: string }).code === "INTERNAL_ERROR" && error.message === "not a function" && error.name === "TypeError"],
    ];
    for (const [thrown, check] of cases) {
      const { port1, port2 } = new MessageChannel();
      const state = { pulled: 0, stopped: false };
      const sending = sendStreamToPort(fakeTokens(3, state, thrown), port1);
      const stream = receiveStreamFromPort(port2);
      const texts: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const event of stream) texts.push(event.text);
        })(),
        check,
      );
      assert.deepEqual(texts, ["t0 ", "t1 ", "t2 "], "the events before the error arrive first");
      await assert.rejects(stream.result, check);
      assert.equal(await sending, "failed");
      port1.close();
    }
  });

  test("a producer whose port closes mid-stream fails the receiver with ChannelClosedError", async () => {
    const { port1, port2 } = new MessageChannel();
    const stream = receiveStreamFromPort(port2);
    const iterator = stream[Symbol.asyncIterator]();
    const waiting = iterator.next();
    port1.close();
    await assert.rejects(waiting, ChannelClosedError);
  });

  test("model in a worker thread, consumer in the main thread", async (t) => {
    const worker = spawnSelf("model-host");
    const exit = exited(worker);
    assert.equal(await nextMessage(worker), "ready");
    // Requests run concurrently in the worker, so their reports are matched by id.
    const reports = new Map<number, (report: { outcome: string; busySequences: number }) => void>();
    worker.on("message", ({ id, ...report }) => reports.get(id)?.(report));
    let lastId = 0;
    const generate = async (options: GenerateRequest["options"], window?: number, prompt = "And God said") => {
      const { port1, port2 } = new MessageChannel();
      const id = ++lastId;
      const done = new Promise<{ outcome: string; busySequences: number }>((resolve) => reports.set(id, resolve));
      worker.postMessage({ id, prompt, options, port: port2 } satisfies GenerateRequest, [port2]);
      return { stream: receiveStreamFromPort(port1, window === undefined ? {} : { window }), done };
    };

    await t.test("the greedy text and the result arrive", async () => {
      const { stream, done } = await generate({ maxTokens: 20, temperature: 0 });
      const events: TokenEvent[] = [];
      for await (const event of stream) events.push(event);
      const result = await stream.result;
      assert.equal(events.map((event) => event.text).join(""), expectedGreedy);
      assert.deepEqual(
        events.map((event) => event.index),
        events.map((_, index) => index),
      );
      assert.equal(result.text, expectedGreedy);
      assert.equal(result.stopReason, "maxTokens");
      assert.equal(result.tokenCount, 20);
      assert.deepEqual(await done, { outcome: "completed", busySequences: 0 });
    });

    await t.test("leaving the loop early stops the generation in the worker and frees its sequence", async () => {
      const { stream, done } = await generate({ maxTokens: 200, temperature: 0 }, 4);
      const texts: string[] = [];
      for await (const event of stream) {
        texts.push(event.text);
        if (texts.length === 3) break;
      }
      assert.equal(texts.join(""), " unto him,");
      const result = await stream.result;
      assert.equal(result.stopReason, "callback");
      // Three consumed, at most a window (4) in flight, one being decoded when the cancel landed.
      assert.ok(result.tokenCount >= 3 && result.tokenCount <= 3 + 4 + 1, `${result.tokenCount} tokens generated`);
      assert.deepEqual(await done, { outcome: "cancelled", busySequences: 0 });
      // The only sequence is free again: a generation that refuses to wait succeeds.
      const next = await generate({ maxTokens: 3, temperature: 0, wait: false });
      assert.equal(await next.stream.text(), " unto him,");
      await next.done;
    });

    await t.test("an error thrown in the worker arrives typed", async () => {
      const { stream, done } = await generate({ maxTokens: 10 }, undefined, "And God said ".repeat(100));
      await assert.rejects(
        stream.text(),
        (error: unknown) => error instanceof ContextOverflowError && error.code === "CONTEXT_OVERFLOW" && error.contextSize === 256 && error.maxTokens === 10 && error.promptTokens > 256,
      );
      assert.equal((await done).outcome, "rejected");
    });

    await t.test("a refusal while every sequence is busy arrives typed", async () => {
      // The first stream holds the only sequence (a window of 1 keeps it from finishing).
      const holder = await generate({ maxTokens: 200, temperature: 0 }, 1);
      const holding = holder.stream[Symbol.asyncIterator]();
      assert.equal((await holding.next()).value?.text, " unto");
      const refused = await generate({ maxTokens: 5, wait: false });
      await assert.rejects(refused.stream.text(), (error: unknown) => error instanceof SequenceUnavailableError && error.code === "SEQUENCE_UNAVAILABLE");
      // context.stream refuses at once (before any event), so the worker sends the error without a stream.
      assert.equal((await refused.done).outcome, "rejected");
      await holding.return?.();
      assert.equal((await holder.stream.result).stopReason, "callback");
      assert.deepEqual(await holder.done, { outcome: "cancelled", busySequences: 0 });
    });

    worker.postMessage("close");
    assert.equal(await exit, 0);
  });

  test("model in the main thread, consumer in a worker thread", async (t) => {
    await using model = await Model.load(defaultModelPath);
    await using context = await Context.create(model, { threads: 1 });
    const streamToWorker = async (maxTokens: number, stopAfter?: number) => {
      const { port1, port2 } = new MessageChannel();
      const worker = spawnSelf("consumer", { port: port2, stopAfter }, [port2]);
      const exit = exited(worker);
      const report = nextMessage<ConsumerReport>(worker);
      const stream = context.stream("And God said", { maxTokens, temperature: 0 });
      const outcome = await sendStreamToPort(stream, port1);
      port1.close();
      const result = await stream.result;
      assert.equal(await exit, 0);
      return { outcome, result, report: await report };
    };

    await t.test("the worker receives the whole text and the result", async () => {
      const { outcome, result, report } = await streamToWorker(20);
      assert.equal(outcome, "completed");
      assert.equal(report.error, undefined);
      assert.equal(report.texts.join(""), expectedGreedy);
      assert.equal(report.result?.text, expectedGreedy);
      assert.equal(report.result?.stopReason, "maxTokens");
      assert.equal(result.text, expectedGreedy);
    });

    await t.test("the worker leaving early stops the generation here", async () => {
      const { outcome, result, report } = await streamToWorker(200, 2);
      assert.equal(outcome, "cancelled");
      assert.deepEqual(report.texts, [" unto", " him"]);
      assert.equal(result.stopReason, "callback");
      assert.ok(result.tokenCount <= 2 + 4 + 1, `${result.tokenCount} tokens generated`);
      assert.equal(report.result?.stopReason, "callback");
      assert.equal(context.busySequences, 0);
    });
  });
}
