/**
 * The stream driver on scripted part streams and fake sinks: the order of chunks, an
 * error mid-stream, backpressure, a sink that never drains, a peer that leaves before the
 * first part or mid-stream, a request aborted (shutdown) in every phase, keep-alives.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GenerationError } from "../../src/errors.ts";
import type { StreamPart } from "../../src/generation/parts.ts";
import { driveStream, type StreamEnd } from "../../src/streaming/driveStream.ts";
import type { StreamSink, WireFormat } from "../../src/streaming/transport.ts";
import { fakeStream } from "../fixtures/fakeStreams.ts";

/** Writes parts as short strings: `t:<text>`, `finish:<stopReason>`, `error:<message>`. */
const testFormat: WireFormat<string> = {
  opening: "open",
  keepAlive: "ping",
  format: (part: StreamPart) => {
    if (part.type === "text") return `t:${part.text}`;
    if (part.type === "finish") return `finish:${part.result.stopReason}`;
    if (part.type === "error") return `error:${(part.error as Error).message}`;
    return undefined;
  },
};

/** A sink that records chunks; `full` makes every write wait until `drain()`. */
class FakeSink implements StreamSink<string> {
  readonly chunks: string[] = [];
  full = false;
  ended = false;
  #drains: (() => void)[] = [];
  #gone: ((reason: unknown) => void) | undefined;
  #left: { reason: unknown } | undefined;

  write(chunk: string): Promise<void> | undefined {
    this.chunks.push(chunk);
    return this.full ? new Promise<void>((resolve) => this.#drains.push(resolve)) : undefined;
  }

  /** Like an HTTP response: a peer already gone is reported at once. */
  onGone(listener: (reason: unknown) => void): void {
    this.#gone = listener;
    if (this.#left !== undefined) listener(this.#left.reason);
  }

  leave(reason: unknown = new Error("peer left")): void {
    this.#left = { reason };
    this.#gone?.(reason);
  }

  drain(): void {
    this.full = false;
    for (const resolve of this.#drains.splice(0)) resolve();
  }

  end(): void {
    this.ended = true;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("the opening, every part in order, the final part last; the end is reported once", async () => {
  const ends: StreamEnd[] = [];
  const { stream } = fakeStream(["a", "b", "c"], { end: { stopReason: "maxTokens" } });
  const sink = new FakeSink();
  const end = await driveStream(stream, testFormat, sink, { onEnd: (reported) => ends.push(reported) });
  assert.deepEqual(sink.chunks, ["open", "t:a", "t:b", "t:c", "finish:maxTokens"]);
  assert.equal(end.outcome, "completed");
  assert.deepEqual(ends, [end]);
  assert.equal(sink.ended, true);
});

test("an error mid-stream: the parts before it, then the format's error chunk; the drive fails, it does not throw", async () => {
  const failure = new GenerationError("decode failed");
  const { stream, state } = fakeStream(["a", "b"], { failWith: failure });
  const sink = new FakeSink();
  const end = await driveStream(stream, testFormat, sink);
  assert.deepEqual(sink.chunks, ["open", "t:a", "t:b", "error:decode failed"]);
  assert.equal(end.outcome, "failed");
  assert.ok(end.final.type === "error" && end.final.error === failure);
  assert.equal(state.finished, true);
  assert.equal(sink.ended, true);
});

test("backpressure: nothing more is pulled until the sink drains", async () => {
  const { stream, state } = fakeStream(["a", "b", "c"]);
  const sink = new FakeSink();
  sink.full = true;
  const driving = driveStream(stream, { format: testFormat.format }, sink);
  await tick();
  assert.deepEqual(sink.chunks, ["t:a"]);
  assert.equal(state.pulled, 1, "the source waits for the reader");
  sink.drain();
  assert.equal((await driving).outcome, "completed");
  assert.deepEqual(sink.chunks, ["t:a", "t:b", "t:c", "finish:eos"]);
});

test("a sink that never drains: aborting the request (shutdown) ends the drive within a part, with the final chunk", async () => {
  const controller = new AbortController();
  const { stream, state } = fakeStream(["a", "b", "c", "d"], { signal: controller.signal });
  const sink = new FakeSink();
  sink.full = true;
  const driving = driveStream(stream, { format: testFormat.format }, sink, { controller });
  await tick();
  assert.equal(state.pulled, 1);
  controller.abort(new Error("shutting down"));
  const end = await driving;
  assert.equal(state.pulled, 1, "nothing more was generated");
  assert.deepEqual(sink.chunks, ["t:a", "finish:abort"]);
  assert.ok(end.final.type === "finish");
  assert.equal((end.final.abortReason as Error).message, "shutting down");
  assert.equal(end.outcome, "completed", "the reader is still there and got the end");
  assert.equal(sink.ended, true);
});

test("a request aborted before its stream starts, or while it waits for its first part, still gets its final chunk", async () => {
  const before = new AbortController();
  before.abort(new Error("shutting down"));
  const early = fakeStream(["a"], { signal: before.signal });
  const sink = new FakeSink();
  await driveStream(early.stream, testFormat, sink, { controller: before });
  assert.deepEqual(sink.chunks, ["open", "finish:abort"]);
  assert.equal(early.state.pulled, 0);

  let release!: () => void;
  const queued = new Promise<void>((resolve) => (release = resolve));
  const waiting = new AbortController();
  const late = fakeStream(["a", "b"], { signal: waiting.signal, beforePart: (index) => (index === 0 ? queued : undefined) });
  const lateSink = new FakeSink();
  const driving = driveStream(late.stream, testFormat, lateSink, { controller: waiting });
  await tick();
  waiting.abort(new Error("shutting down"));
  release();
  await driving;
  assert.deepEqual(lateSink.chunks.at(-1), "finish:abort");
  assert.ok(late.state.pulled <= 1);
});

test("a peer that leaves before the first part: the stream never starts, the request is aborted, the drive is cancelled", async () => {
  const controller = new AbortController();
  const { stream, state } = fakeStream(["a"], { signal: controller.signal });
  const sink = new FakeSink();
  sink.leave(new Error("client gone"));
  const end = await driveStream(stream, testFormat, sink, { controller });
  assert.equal(state.started, false);
  assert.equal(controller.signal.aborted, true);
  assert.equal((controller.signal.reason as Error).message, "client gone");
  assert.equal(end.outcome, "cancelled");
  assert.ok(end.final.type === "finish" && end.final.result.stopReason === "abort");
});

test("a peer that leaves mid-stream while the sink is full: the stream is closed at once (without a controller too)", async () => {
  const { stream, state } = fakeStream(["a", "b", "c"]);
  const sink = new FakeSink();
  sink.full = true;
  const driving = driveStream(stream, { format: testFormat.format }, sink);
  await tick();
  sink.leave();
  const end = await driving;
  assert.equal(state.finished, true);
  assert.equal(state.pulled, 1);
  assert.equal(end.outcome, "cancelled");
  assert.ok(end.final.type === "finish" && end.final.result.stopReason === "callback", "no abort signal: the reader left");
});

test("keep-alives go out while the stream is quiet, and never once it ends", async () => {
  let release!: () => void;
  const quiet = new Promise<void>((resolve) => (release = resolve));
  const { stream } = fakeStream(["a", "b"], { beforePart: (index) => (index === 1 ? quiet : undefined) });
  const sink = new FakeSink();
  const driving = driveStream(stream, { format: testFormat.format, keepAlive: "ping" }, sink, { keepAliveIntervalMs: 20 });
  const pings = () => sink.chunks.filter((chunk) => chunk === "ping").length;
  const deadline = performance.now() + 5_000;
  while (pings() < 2 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(sink.chunks.slice(0, 2), ["t:a", "ping"], "the first keep-alive follows the quiet spell");
  release();
  await driving;
  assert.ok(pings() >= 2, `${pings()} keep-alives`);
  assert.deepEqual(
    sink.chunks.filter((chunk) => chunk !== "ping"),
    ["t:a", "t:b", "finish:eos"],
  );
  const after = sink.chunks.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(sink.chunks.length, after);
});

test("a full sink gets no keep-alives: its reader is behind, not gone, and they would pile up behind the waiting write", async () => {
  const { stream } = fakeStream(["a", "b"]);
  const sink = new FakeSink();
  sink.full = true;
  const driving = driveStream(stream, { format: testFormat.format, keepAlive: "ping" }, sink, { keepAliveIntervalMs: 10 });
  // Twenty keep-alive intervals with a reader that takes nothing.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(sink.chunks, ["t:a"]);
  sink.drain();
  await driving;
  assert.deepEqual(sink.chunks, ["t:a", "t:b", "finish:eos"]);
});

test("a sink that is not ready holds the stream unstarted; a format that throws stops the stream and reports the failure", async () => {
  let ready!: () => void;
  const { stream, state } = fakeStream(["a"]);
  const sink = Object.assign(new FakeSink(), { ready: () => new Promise<void>((resolve) => (ready = resolve)) });
  const driving = driveStream(stream, { format: testFormat.format }, sink);
  await tick();
  assert.equal(state.started, false);
  ready();
  assert.equal((await driving).outcome, "completed");

  const broken = fakeStream(["a", "b", "c"]);
  const brokenSink = new FakeSink();
  const end = await driveStream(
    broken.stream,
    {
      format: (part) => {
        if (part.type === "text" && part.index === 1) throw new TypeError("format bug");
        return part.type;
      },
    },
    brokenSink,
  );
  assert.equal(end.outcome, "failed");
  assert.equal(broken.state.finished, true, "the stream was stopped");
  assert.deepEqual(brokenSink.chunks, ["text", "error"]);
});
