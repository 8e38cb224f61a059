/** The remote engine's SSE reader: every line ending, split anywhere, and reads only as fast as events are asked for. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readServerSentEvents, ServerSentEventParser } from "../../src/remote/serverSentEventReader.ts";

const stream = "event: token\r\nid: 7\r\ndata: one\r\ndata: two\r\n\r\n: keep-alive\n\ndata:no-space\r\rdata: {\"a\": \"é\"}\n\n";
const expected = [
  { event: "token", data: "one\ntwo", id: "7" },
  { event: "message", data: "no-space", id: "7" },
  { event: "message", data: '{"a": "é"}', id: "7" },
];

test("the same events however the text is split, CRLF across chunks included", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const parser = new ServerSentEventParser();
    assert.deepEqual([...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))], expected, `cut at ${cut}`);
  }
  const parser = new ServerSentEventParser();
  assert.deepEqual([...stream].flatMap((character) => parser.push(character)), expected);
});

test("the body is read one chunk per event asked for, not ahead", async () => {
  let pulls = 0;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls++;
        controller.enqueue(encoder.encode(`data: ${pulls}\n\n`));
      },
    },
    { highWaterMark: 0 },
  );
  const events = readServerSentEvents(body);
  assert.equal((await events.next()).value?.data, "1");
  assert.equal((await events.next()).value?.data, "2");
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(pulls, 2, "nothing is read while the consumer does not ask");
  await events.return();
});
