/** The resumable SSE sink and its registry, on fake responses: replay after an id, bounded buffers, windows, eviction, ownership. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AttachedResponse, ResumableChunk } from "../../src/server/resumableStream.ts";
import { ResumableStreams } from "../../src/server/resumableStreams.ts";

class FakeResponse implements AttachedResponse {
  written: string[] = [];
  ended = false;
  full = false;
  #gone: ((reason: unknown) => void) | undefined;
  write(chunk: string): Promise<void> | undefined {
    this.written.push(chunk);
    return this.full ? new Promise<void>(() => {}) : undefined;
  }
  end(): void {
    this.ended = true;
  }
  onGone(listener: (reason: unknown) => void): void {
    this.#gone = listener;
  }
  leave(): void {
    this.#gone?.(new Error("gone"));
  }
}

const event = (eventId: number): ResumableChunk => ({ eventId, text: `e${eventId};` });
const limits = { windowMs: 10_000, maxDetachedStreams: 4, maxBufferBytes: 1_000 };

test("a resume gets exactly the events after its id, then the live ones; unnumbered chunks are never replayed", () => {
  const streams = new ResumableStreams(limits);
  const stream = streams.create("owner");
  const first = new FakeResponse();
  stream.attach(first, undefined);
  stream.write({ text: "start;" });
  for (let id = 0; id < 3; id++) stream.write(event(id));
  first.leave();
  for (let id = 3; id < 5; id++) assert.equal(stream.write(event(id)), undefined, "detached, under the limit: no wait");
  const second = new FakeResponse();
  stream.attach(second, 1);
  stream.write({ text: ": keep-alive;" });
  stream.write(event(5));
  stream.end();
  assert.deepEqual(second.written, ["e2;", "e3;", "e4;", ": keep-alive;", "e5;"]);
  assert.equal(second.ended, true);
  // Ended, it stays resumable within the window.
  const third = new FakeResponse();
  stream.attach(streams.find(stream.id, "owner") === stream ? third : new FakeResponse(), 4);
  assert.deepEqual(third.written, ["e5;"]);
  assert.throws(() => streams.find(stream.id, "someone else"), /No stream/);
  assert.throws(() => streams.find("unknown", "owner"), /No stream/);
});

test("attached, delivered events beyond the limit are dropped oldest first; detached, a full buffer pauses the writer until a client attaches", async () => {
  const stream = new ResumableStreams({ ...limits, maxBufferBytes: 12 }).create("owner");
  const response = new FakeResponse();
  stream.attach(response, undefined);
  for (let id = 0; id < 6; id++) stream.write(event(id));
  assert.equal(stream.oldestResumableId, 1, "events 0 and 1 were dropped: a resume must start after 1 at the earliest");
  response.leave();
  let resumed = false;
  const paused = stream.write(event(6));
  assert.ok(paused !== undefined);
  void paused.then(() => (resumed = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(resumed, false);
  stream.attach(new FakeResponse(), 5);
  await paused;
  assert.equal(resumed, true);
});

test("the window cancels a stream left without a client; beyond the bound, the one detached longest goes first", async () => {
  const streams = new ResumableStreams({ ...limits, windowMs: 30, maxDetachedStreams: 2 });
  const cancelled: string[] = [];
  const make = (name: string) => {
    const stream = streams.create("owner");
    stream.onGone(() => cancelled.push(name));
    const response = new FakeResponse();
    stream.attach(response, undefined);
    return { stream, response };
  };
  const a = make("a");
  const b = make("b");
  const c = make("c");
  a.response.leave();
  b.response.leave();
  c.response.leave();
  assert.deepEqual(cancelled, ["a"]);
  assert.throws(() => streams.find(a.stream.id, "owner"), /No stream/);
  streams.hold(b.stream);
  b.stream.attach(new FakeResponse(), undefined);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(cancelled, ["a", "c"], "the window passed for c; b has a client");
  assert.equal(streams.size, 1);
});
