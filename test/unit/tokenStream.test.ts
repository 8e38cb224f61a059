/**
 * TokenStream on scripted sources: parts end with exactly one final part however the
 * stream ends, events and `result` agree with the parts, observers see everything once,
 * and every way of leaving stops the source.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GenerationError, InvalidArgumentError } from "../../src/errors.ts";
import type { StreamPart } from "../../src/generation/parts.ts";
import { fakeStream, recordingObserver } from "../fixtures/fakeStreams.ts";

async function readParts(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const seen: StreamPart[] = [];
  for await (const part of parts) seen.push(part);
  return seen;
}

test("parts: every text part, then one finish part with the result", async () => {
  const { observer, calls } = recordingObserver();
  const { stream, state } = fakeStream(["In", " the", " beginning"], { end: { stopReason: "maxTokens" }, observer });
  const parts = await readParts(stream.parts());
  assert.deepEqual(
    parts.map((part) => part.type),
    ["text", "text", "text", "finish"],
  );
  const finish = parts.at(-1)!;
  assert.ok(finish.type === "finish");
  assert.equal(finish.result.text, "In the beginning");
  assert.equal(finish.result.stopReason, "maxTokens");
  assert.equal(finish.abortReason, undefined);
  assert.equal(await stream.result, finish.result);
  assert.deepEqual(calls, ["first:In", "part:In", "part: the", "part: beginning", "finish:maxTokens"]);
  assert.equal(state.finished, true);
});

test("the text parts are the events: the same objects, with the same fields", async () => {
  const { stream } = fakeStream(["a", "b"]);
  const events = [];
  for await (const event of stream) events.push(event);
  assert.deepEqual(events[1], { type: "text", text: "b", tokens: [1], index: 1, tokenCount: 2, elapsedMs: 10 });
  assert.equal((await stream.result).text, "ab");
});

test("an error mid-stream: the parts before it, then one error part; events reject; result rejects", async () => {
  const failure = new GenerationError("decode failed");
  const { observer, calls } = recordingObserver();
  const viaParts = fakeStream(["one", "two"], { failWith: failure, observer });
  const parts = await readParts(viaParts.stream.parts());
  assert.deepEqual(
    parts.map((part) => part.type),
    ["text", "text", "error"],
  );
  assert.equal((parts[2] as { error: unknown }).error, failure);
  await assert.rejects(viaParts.stream.result, (error) => error === failure);
  assert.deepEqual(calls, ["first:one", "part:one", "part:two", "error:decode failed"]);

  const viaEvents = fakeStream(["one", "two"], { failWith: failure });
  const texts: string[] = [];
  await assert.rejects(async () => {
    for await (const event of viaEvents.stream) texts.push(event.text);
  }, (error) => error === failure);
  assert.deepEqual(texts, ["one", "two"]);
  await assert.rejects(viaEvents.stream.result, (error) => error === failure);
});

test("a reader that leaves before the first part: the source never starts, the result says abort, observers hear of it once", async () => {
  for (const leave of [(stream: ReturnType<typeof fakeStream>["stream"]) => stream.close(), (stream: ReturnType<typeof fakeStream>["stream"]) => stream.parts().return!()]) {
    const { observer, calls } = recordingObserver();
    const { stream, state } = fakeStream(["never"], { observer });
    await leave(stream);
    assert.equal(state.started, false);
    assert.equal((await stream.result).stopReason, "abort");
    assert.equal((await stream.result).tokenCount, 0);
    assert.deepEqual(calls, ["finish:abort"]);
    await stream.close();
    assert.deepEqual(calls, ["finish:abort"], "closing twice ends nothing twice");
  }
});

test("leaving mid-stream stops the source: callback, or abort with the reason once the signal fired", async () => {
  const left = fakeStream(["a", "b", "c", "d"]);
  for await (const part of left.stream.parts()) if (part.type === "text" && part.index === 1) break;
  assert.equal(left.state.finished, true);
  assert.equal(left.state.pulled, 2);
  assert.equal((await left.stream.result).stopReason, "callback");

  const controller = new AbortController();
  const aborted = fakeStream(["a", "b", "c"], { signal: controller.signal });
  const iterator = aborted.stream.parts();
  await iterator.next();
  controller.abort(new Error("shutting down"));
  await aborted.stream.close();
  const final = await iterator.next();
  assert.ok(!final.done && final.value.type === "finish");
  assert.equal(final.value.result.stopReason, "abort");
  assert.equal((final.value.abortReason as Error).message, "shutting down");
  assert.deepEqual(await iterator.next(), { done: true, value: undefined }, "nothing after the final part");
});

test("closed from outside while a part is being made: the reader gets that part, then the one final part", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { observer, calls } = recordingObserver();
  const { stream, state } = fakeStream(["a", "b", "c"], { observer, beforePart: (index) => (index === 1 ? held : undefined) });
  const iterator = stream.parts();
  await iterator.next();
  const inFlight = iterator.next();
  const closing = stream.close();
  release();
  await closing;
  assert.equal(state.finished, true);
  const second = await inFlight;
  assert.ok(!second.done && second.value.type === "text" && second.value.text === "b");
  const final = await iterator.next();
  assert.ok(!final.done && final.value.type === "finish" && final.value.result.stopReason === "callback");
  assert.equal((await iterator.next()).done, true);
  assert.deepEqual(calls, ["first:a", "part:a", "part:b", "finish:callback"]);
});

test("a stream is read once, in one shape", () => {
  const { stream } = fakeStream(["a"]);
  stream.parts();
  assert.throws(() => stream[Symbol.asyncIterator](), InvalidArgumentError);
  assert.throws(() => stream.parts(), InvalidArgumentError);
});
