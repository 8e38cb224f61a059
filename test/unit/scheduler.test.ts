/**
 * The scheduler on a fake context (scripted part streams, no model): admission and its
 * 503, each request's controller, slots freed however a stream ends (closed before it is
 * read included), metrics from observers, and shutdown in every phase of a generation.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RequestError } from "../../src/errors.ts";
import type { GenerationOptions } from "../../src/generation/options.ts";
import type { StreamPart } from "../../src/generation/parts.ts";
import { GenerationScheduler, type GenerationContext } from "../../src/server/scheduler.ts";
import { ServerMetrics } from "../../src/server/serverMetrics.ts";
import type { TokenStream } from "../../src/streaming/TokenStream.ts";
import { fakeStream, type FakeSourceState } from "../fixtures/fakeStreams.ts";

interface Harness {
  scheduler: GenerationScheduler;
  metrics: ServerMetrics;
  /** What each stream's source did, in the order the streams were made. */
  sources: FakeSourceState[];
  /** Holds the source of the next stream before its part `index`, until released. */
  holdAt(index: number): () => void;
}

function harness(options: { sequences?: number; maxQueue?: number; texts?: string[] } = {}): Harness {
  const metrics = new ServerMetrics({ busySequences: () => 0, queuedGenerations: () => 0, parallelSequences: () => 1, webSocketConnections: () => 0 });
  const sources: FakeSourceState[] = [];
  let hold: { index: number; until: Promise<void> } | undefined;
  const context: GenerationContext = {
    sequences: options.sequences ?? 1,
    stream(_prompt: string | readonly number[], streamOptions: GenerationOptions = {}): TokenStream {
      const held = hold;
      hold = undefined;
      const made = fakeStream(options.texts ?? ["a", "b", "c"], {
        end: { stopReason: "maxTokens" },
        ...(streamOptions.signal === undefined ? {} : { signal: streamOptions.signal }),
        ...(streamOptions.observer === undefined ? {} : { observer: streamOptions.observer }),
        beforePart: (index) => (held !== undefined && index === held.index ? held.until : undefined),
      });
      sources.push(made.state);
      return made.stream;
    },
    // A chat turn is a stream like any other to the scheduler.
    chat(_messages, streamOptions = {}) {
      return context.stream("", streamOptions);
    },
  };
  return {
    scheduler: new GenerationScheduler(context, metrics, { maxQueue: options.maxQueue ?? 1 }),
    metrics,
    sources,
    holdAt(index) {
      let release!: () => void;
      hold = { index, until: new Promise<void>((resolve) => (release = resolve)) };
      return release;
    },
  };
}

async function readAll(stream: TokenStream): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream.parts()) parts.push(part);
  return parts;
}

test("a stream closed before anyone reads it frees its slot at once", async () => {
  const { scheduler, metrics, sources } = harness();
  const stream = scheduler.start("x", {}, new AbortController());
  assert.equal(scheduler.inFlight, 1);
  await stream.close();
  assert.equal(scheduler.inFlight, 0);
  assert.equal(await scheduler.whenIdle(1_000), true);
  assert.equal(sources[0]!.started, false);
  assert.equal(metrics.generations.value({ stop_reason: "abort" }), 1);
});

test("running plus queued generations are admitted, then 503 with Retry-After; an ended stream frees its slot", async () => {
  const { scheduler } = harness({ sequences: 1, maxQueue: 1 });
  const first = scheduler.start("x", {}, new AbortController());
  scheduler.start("x", {}, new AbortController());
  assert.throws(
    () => scheduler.start("x", {}, new AbortController()),
    (error: unknown) => error instanceof RequestError && error.status === 503 && error.code === "SERVER_BUSY" && /^[1-9]\d*$/.test(error.headers["retry-after"] ?? ""),
  );
  await readAll(first);
  assert.equal(scheduler.inFlight, 1);
  await scheduler.start("x", {}, new AbortController()).close();
});

test("every transport is measured the same way: from the stream's observer", async () => {
  const { scheduler, metrics } = harness({ texts: ["a", "b", "c", "d"] });
  const parts = await readAll(scheduler.start("x", {}, new AbortController()));
  assert.equal(parts.at(-1)!.type, "finish");
  assert.equal(metrics.generations.value({ stop_reason: "maxTokens" }), 1);
  assert.equal(metrics.generatedTokens.value(), 4);
  assert.equal(metrics.interTokenLatency.count, 3, "one gap between each two parts");
  assert.equal(metrics.timeToFirstToken.count, 1);
});

test("shutdown in every phase: refused before admission, and every admitted stream ends with abort and the shutdown's reason", async () => {
  const { scheduler, sources, holdAt } = harness({ sequences: 2, maxQueue: 2 });
  const shutdown = new RequestError(503, "SHUTTING_DOWN", "The server is shutting down");

  const unread = scheduler.start("x", {}, new AbortController());
  const release = holdAt(1);
  const midStream = scheduler.start("x", {}, new AbortController());
  const reading = midStream.parts();
  assert.equal(((await reading.next()).value as StreamPart).type, "text");
  const pending = reading.next();
  const finished = scheduler.start("x", {}, new AbortController());
  await readAll(finished);

  scheduler.stopAdmitting();
  assert.throws(() => scheduler.start("x", {}, new AbortController()), (error: unknown) => error instanceof RequestError && error.code === "SHUTTING_DOWN");
  assert.equal(await scheduler.whenIdle(20), false, "admitted generations go on after admission stops");

  scheduler.cancelAll(shutdown);
  release();
  const afterPart = (await pending).value as StreamPart;
  assert.equal(afterPart.type, "text", "the part being made when shutdown came still arrives");
  const midFinal = (await reading.next()).value as StreamPart;
  assert.ok(midFinal.type === "finish" && midFinal.result.stopReason === "abort" && midFinal.abortReason === shutdown);
  const unreadFinal = (await readAll(unread)).at(-1)!;
  assert.ok(unreadFinal.type === "finish" && unreadFinal.result.stopReason === "abort" && unreadFinal.abortReason === shutdown);
  assert.equal(sources[0]!.pulled, 0, "a stream not read when shutdown came generates nothing");
  assert.equal(await scheduler.whenIdle(1_000), true);
  assert.equal(scheduler.inFlight, 0);
});
