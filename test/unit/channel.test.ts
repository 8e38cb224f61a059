import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, pipeToChannel } from "../../src/streaming/channel.ts";
import { ChannelClosedError, InvalidArgumentError } from "../../src/errors.ts";

/** Whether `promise` has settled once pending callbacks have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

/** A source that counts how far it has been pulled and whether it was stopped. */
function countingSource(limit: number, failAt?: number) {
  const state = { pulled: 0, stopped: false };
  async function* values(): AsyncGenerator<number> {
    try {
      for (let value = 0; value < limit; value++) {
        if (value === failAt) throw new Error(`failed at ${value}`);
        state.pulled++;
        yield value;
      }
    } finally {
      state.stopped = true;
    }
  }
  return { state, source: values() };
}

test("capacity must be a positive integer, and defaults to 32", () => {
  for (const capacity of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "3" as unknown as number]) {
    assert.throws(
      () => new Channel(capacity),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === "capacity",
      `capacity ${String(capacity)}`,
    );
  }
  assert.equal(new Channel().capacity, 32);
  assert.equal(new Channel(1).capacity, 1);
});

test("send waits while the channel is full and resumes when a value is received", async () => {
  const channel = new Channel<string>(2);
  assert.equal(await isSettled(channel.send("a")), true);
  assert.equal(await isSettled(channel.send("b")), true);
  const third = channel.send("c");
  assert.equal(await isSettled(third), false, "the third send must wait: capacity is 2");
  assert.equal(channel.size, 2);
  assert.equal(await channel.receive(), "a");
  assert.equal(await isSettled(third), true, "receiving made room");
  assert.equal(channel.size, 2);
  assert.deepEqual([await channel.receive(), await channel.receive()], ["b", "c"]);
  assert.equal(channel.size, 0);
});

test("a fast producer stays at most `capacity` values ahead and order is preserved", async () => {
  const channel = new Channel<number>(3);
  let sent = 0;
  let maxAhead = 0;
  const producer = (async () => {
    for (let value = 0; value < 100; value++) {
      await channel.send(value);
      sent++;
    }
    channel.close();
  })();
  const received: number[] = [];
  for await (const value of channel) {
    maxAhead = Math.max(maxAhead, sent - received.length);
    received.push(value);
    // A slow consumer: let the producer run as far as it can.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await producer;
  assert.deepEqual(received, Array.from({ length: 100 }, (_, index) => index));
  assert.ok(maxAhead <= 3 + 1, `producer ran ${maxAhead} values ahead`);
  assert.ok(maxAhead >= 3, `the buffer was used (${maxAhead} ahead)`);
});

test("senders waiting on a full channel deliver in the order they called send", async () => {
  const channel = new Channel<number>(1);
  const sends = [channel.send(1), channel.send(2), channel.send(3), channel.send(4)];
  const received = [await channel.receive(), await channel.receive(), await channel.receive(), await channel.receive()];
  await Promise.all(sends);
  assert.deepEqual(received, [1, 2, 3, 4]);
});

test("a receiver waiting on an empty channel gets the next value directly", async () => {
  const channel = new Channel<string>(1);
  const receiving = channel.receive();
  assert.equal(await isSettled(receiving), false);
  await channel.send("direct");
  assert.equal(await receiving, "direct");
  assert.equal(channel.size, 0);
});

test("close keeps buffered values for the receiver, then ends iteration", async () => {
  const channel = new Channel<number>(4);
  await channel.send(1);
  await channel.send(2);
  channel.close();
  channel.close();
  assert.equal(channel.closed, true);
  const received: number[] = [];
  for await (const value of channel) received.push(value);
  assert.deepEqual(received, [1, 2]);
  await assert.rejects(channel.receive(), ChannelClosedError);
});

test("close wakes a waiting receiver with the end, and rejects waiting senders", async () => {
  const empty = new Channel<number>(1);
  const iterator = empty[Symbol.asyncIterator]();
  const waiting = iterator.next();
  empty.close();
  assert.deepEqual(await waiting, { done: true, value: undefined });

  const full = new Channel<number>(1);
  await full.send(1);
  const blocked = full.send(2);
  full.close();
  await assert.rejects(blocked, ChannelClosedError);
  assert.equal(await full.receive(), 1, "the value sent before close is kept");
  await assert.rejects(full.receive(), ChannelClosedError);
});

test("sending into a closed channel rejects with ChannelClosedError", async () => {
  const channel = new Channel<number>(1);
  channel.close();
  await assert.rejects(channel.send(1), (error: unknown) => error instanceof ChannelClosedError && error.code === "CHANNEL_CLOSED");
  assert.equal(channel.size, 0);
});

test("fail delivers buffered values first, then the error; waiting receivers get it at once", async () => {
  const channel = new Channel<string>(4);
  await channel.send("x");
  const problem = new Error("producer broke");
  channel.fail(problem);
  channel.close();
  const received: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const value of channel) received.push(value);
    })(),
    (error: unknown) => error === problem,
  );
  assert.deepEqual(received, ["x"]);
  await assert.rejects(channel.send("y"), ChannelClosedError);

  const waitingChannel = new Channel<string>(1);
  const waiting = waitingChannel.receive();
  waitingChannel.fail(problem);
  await assert.rejects(waiting, (error: unknown) => error === problem);
});

test("a receiver that leaves early closes the channel, drops the buffer and rejects waiting senders", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const second = channel.send(2);
  const third = channel.send(3);
  for await (const value of channel) {
    assert.equal(value, 1);
    break;
  }
  // Receiving 1 made room for 2; 3 was still waiting when the receiver left.
  await second;
  await assert.rejects(third, ChannelClosedError);
  assert.equal(channel.closed, true);
  assert.equal(channel.size, 0, "2 was buffered but nobody will read it");
  await assert.rejects(channel.send(4), ChannelClosedError);
});

test("pipeToChannel delivers everything in order and closes the channel", async () => {
  const { state, source } = countingSource(10);
  const channel = new Channel<number>(2);
  const piping = pipeToChannel(source, channel);
  const received: number[] = [];
  for await (const value of channel) received.push(value);
  assert.equal(await piping, "completed");
  assert.deepEqual(received, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(state.stopped, true);
});

test("pipeToChannel stops the source when the receiver leaves", async () => {
  const { state, source } = countingSource(1000);
  const channel = new Channel<number>(2);
  const piping = pipeToChannel(source, channel);
  const received: number[] = [];
  for await (const value of channel) {
    received.push(value);
    if (received.length === 3) break;
  }
  assert.equal(await piping, "cancelled");
  assert.equal(state.stopped, true, "the source's finally ran: the generation would be freed");
  assert.deepEqual(received, [0, 1, 2]);
  // Three received, two buffered, one waiting to be sent: the source was never far ahead.
  assert.ok(state.pulled <= 3 + 2 + 1, `pulled ${state.pulled}`);
});

test("pipeToChannel fails the channel with the source's error after delivering what came before", async () => {
  const { source } = countingSource(10, 4);
  const channel = new Channel<number>(8);
  const outcome = await pipeToChannel(source, channel);
  assert.equal(outcome, "failed");
  const received: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const value of channel) received.push(value);
    })(),
    /failed at 4/,
  );
  assert.deepEqual(received, [0, 1, 2, 3]);
});

test("several producers can share a channel with close: false", async () => {
  const channel = new Channel<number>(1);
  const producers = Promise.all([pipeToChannel(countingSource(3).source, channel, { close: false }), pipeToChannel(countingSource(3).source, channel, { close: false })]).then(
    (outcomes) => {
      channel.close();
      return outcomes;
    },
  );
  const received: number[] = [];
  for await (const value of channel) received.push(value);
  assert.deepEqual(await producers, ["completed", "completed"]);
  assert.deepEqual(
    received.sort((a, b) => a - b),
    [0, 0, 1, 1, 2, 2],
  );
});
