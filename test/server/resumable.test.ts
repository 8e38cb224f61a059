/**
 * Native SSE streams that survive a dropped connection: the TCP connection is cut at
 * seeded random points (before the first token, mid-stream, after the last token but
 * before `done`), the stream is resumed with `Last-Event-ID`, and the text equals an
 * uninterrupted greedy run every time, with no event lost or repeated. Ids are bound to
 * the key that started them; a stream left alone past its window, deleted, or evicted is
 * cancelled and frees its sequence.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { metricValue, postJson, readServerSentEvents, startTestServer, waitFor, type TestServer } from "./helpers.js";

const prompt = "And God said";
const options = { temperature: 0, maxTokens: 10 };

/** A deterministic generator of numbers in [0, 1), so a failing round can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31), state / 2 ** 31);
}

interface Reading {
  texts: string[];
  ids: number[];
  done: { stopReason: string } | undefined;
  connections: number;
}

/**
 * Reads one generation, cutting each of the first two connections after `cut()` numbered
 * events (0: right after `start`, before any token), then resuming from the last id seen.
 */
async function readWithCuts(url: string, cut: () => number, headers: Record<string, string> = {}): Promise<Reading> {
  const reading: Reading = { texts: [], ids: [], done: undefined, connections: 0 };
  let location: string | null = null;
  let lastId: string | undefined;
  while (reading.done === undefined) {
    reading.connections++;
    const cutAfter = reading.connections <= 2 ? cut() : Number.POSITIVE_INFINITY;
    const controller = new AbortController();
    const response: Response =
      location === null
        ? await postJson(`${url}/generate`, { prompt, options }, headers, controller.signal)
        : await fetch(`${url}${location}`, { headers: { ...headers, ...(lastId === undefined ? {} : { "last-event-id": lastId }) }, signal: controller.signal });
    assert.equal(response.status, 200);
    location ??= response.headers.get("location");
    let read = 0;
    try {
      for await (const event of readServerSentEvents(response.body!)) {
        if (event.comment !== undefined) continue;
        if (event.event === "start") {
          if (cutAfter === 0) controller.abort();
          if (cutAfter === 0) break;
          continue;
        }
        reading.ids.push(Number(event.id));
        lastId = event.id;
        if (event.event === "token") reading.texts.push((JSON.parse(event.data!) as { text: string }).text);
        else if (event.event === "done") reading.done = JSON.parse(event.data!) as { stopReason: string };
        else throw new Error(`unexpected event ${event.event}: ${event.data}`);
        if (reading.done !== undefined) break;
        if (++read >= cutAfter) {
          controller.abort();
          break;
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  }
  return reading;
}

describe("resumable native SSE streams", () => {
  let harness: TestServer;
  let expected: { text: string; stopReason: string; pieces: number };
  before(async () => {
    harness = await startTestServer({ parallel: 4, contextSize: 256 });
    const whole = await readWithCuts(harness.url, () => Number.POSITIVE_INFINITY);
    expected = { text: whole.texts.join(""), stopReason: whole.done!.stopReason, pieces: whole.texts.length };
  });
  after(() => harness.server.close());

  test("cut at random points 100 times and resumed: the same text, no event lost or repeated", async () => {
    const local = await harness.server.context!.generate(prompt, options);
    assert.equal(expected.text, local.text);
    assert.ok(expected.pieces >= 3);
    const random = seededRandom(11);
    // 0 cuts before the first token; `pieces` cuts after the last token, before done.
    const cut = () => Math.floor(random() * (expected.pieces + 1));
    const rounds = 100;
    const concurrency = 4;
    let multiCut = 0;
    for (let round = 0; round < rounds; round += concurrency) {
      const readings = await Promise.all(Array.from({ length: concurrency }, () => readWithCuts(harness.url, cut)));
      for (const reading of readings) {
        assert.equal(reading.texts.join(""), expected.text);
        assert.deepEqual(reading.ids, reading.ids.map((_id, index) => index), "ids count from 0 with no gap or repeat");
        assert.equal(reading.done!.stopReason, expected.stopReason);
        if (reading.connections >= 3) multiCut++;
      }
    }
    assert.ok(multiCut > 0, "some rounds were cut twice");
    await waitFor(() => harness.server.context!.busySequences === 0, 2_000, "every sequence to be free");
  });

  test("an id resumes only with the key that started it; an unknown id, or a bad Last-Event-ID, is refused", async () => {
    const response = await postJson(`${harness.url}/generate`, { prompt, options }, { "x-api-key": "alice" });
    const location = response.headers.get("location")!;
    await response.text();
    assert.match(location, /^\/generate\/[A-Za-z0-9_-]{22}$/);
    assert.equal((await fetch(`${harness.url}${location}`, { headers: { "x-api-key": "bob" } })).status, 404);
    assert.equal((await fetch(`${harness.url}${location}`)).status, 404);
    assert.equal((await fetch(`${harness.url}/generate/AAAAAAAAAAAAAAAAAAAAAA`, { headers: { "x-api-key": "alice" } })).status, 404);
    assert.equal((await fetch(`${harness.url}${location}`, { headers: { "x-api-key": "alice", "last-event-id": "three" } })).status, 400);
    const replay = await fetch(`${harness.url}${location}`, { headers: { "x-api-key": "alice", "last-event-id": "2" } });
    const events = [];
    for await (const event of readServerSentEvents(replay.body!)) events.push(event);
    assert.equal(events[0]!.id, "3");
    assert.equal(events.at(-1)!.event, "done");
  });

  test("DELETE cancels a detached stream and frees its sequence", async () => {
    const controller = new AbortController();
    const response = await postJson(`${harness.url}/generate`, { prompt, options: { temperature: 0, maxTokens: 200 } }, {}, controller.signal);
    const location = response.headers.get("location")!;
    controller.abort();
    await waitFor(() => harness.server.context!.busySequences === 1, 2_000, "the generation to run on");
    assert.equal((await fetch(`${harness.url}${location}`, { method: "DELETE" })).status, 204);
    await waitFor(() => harness.server.context!.busySequences === 0, 2_000, "the sequence to be freed");
    assert.equal((await fetch(`${harness.url}${location}`)).status, 404);
  });
});

describe("resumable stream limits", () => {
  let harness: TestServer;
  before(async () => {
    harness = await startTestServer({ parallel: 2, contextSize: 512, resumeWindowMs: 1_500, maxDetachedStreams: 1, resumeBufferBytes: 2_000 });
  });
  after(() => harness.server.close());

  const detach = async () => {
    const controller = new AbortController();
    const response = await postJson(`${harness.url}/generate`, { prompt, options: { temperature: 0, maxTokens: 400 } }, {}, controller.signal);
    controller.abort();
    return response.headers.get("location")!;
  };

  test("a detached stream pauses on a full buffer, and is cancelled after the window", async () => {
    const tokensBefore = await metricValue(harness.url, "mullama_generated_tokens_total");
    const location = await detach();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(harness.server.context!.busySequences, 1, "paused, not cancelled, while its window runs");
    await waitFor(() => harness.server.context!.busySequences === 0, 3_000, "the window to cancel the stream");
    assert.equal((await fetch(`${harness.url}${location}`)).status, 404);
    // About 2000 bytes of token events are 20-odd tokens; unpaused, 1.5 s would make hundreds.
    const generated = (await metricValue(harness.url, "mullama_generated_tokens_total")) - tokensBefore;
    assert.ok(generated > 5 && generated < 60, `${generated} tokens generated while detached`);
  });

  test("beyond maxDetachedStreams, the stream detached longest is cancelled first", async () => {
    const first = await detach();
    await waitFor(() => harness.server.context!.busySequences === 1, 2_000, "the first stream to run");
    const second = await detach();
    await waitFor(async () => (await fetch(`${harness.url}${first}`, { method: "DELETE" })).status === 404, 2_000, "the first stream to be evicted");
    assert.equal((await fetch(`${harness.url}${second}`, { method: "DELETE" })).status, 204);
    await waitFor(() => harness.server.context!.busySequences === 0, 2_000, "both sequences to be free");
  });
});
