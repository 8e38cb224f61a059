/** The chat page's SSE reader (web/serverSentEvents.ts), fed at the seams where streams break. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readServerSentEvents, ServerSentEventParser, type ServerSentEvent } from "../../web/serverSentEvents.ts";

function parseChunks(chunks: readonly string[]): ServerSentEvent[] {
  const parser = new ServerSentEventParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

const wire = 'event: token\nid: 0\ndata: {"text":"a"}\n\n: keep-alive\n\ndata: line one\ndata: line two\n\ndata:no-space\n\n';
const expected: ServerSentEvent[] = [
  { event: "token", data: '{"text":"a"}', id: "0" },
  { event: "message", data: "line one\nline two", id: "0" },
  { event: "message", data: "no-space", id: "0" },
];

test("events, multi-line data, comments skipped, the last id kept", () => {
  assert.deepEqual(parseChunks([wire]), expected);
});

test("the same events whatever the chunking, one character at a time included", () => {
  for (const size of [1, 2, 3, 7, 64]) {
    const chunks: string[] = [];
    for (let index = 0; index < wire.length; index += size) chunks.push(wire.slice(index, index + size));
    assert.deepEqual(parseChunks(chunks), expected, `chunks of ${size}`);
  }
});

test("CRLF and CR line endings, with a CRLF split across two chunks", () => {
  assert.deepEqual(parseChunks(["data: a\r", "\n\r", "\ndata: b\r\r"]), [
    { event: "message", data: "a", id: undefined },
    { event: "message", data: "b", id: undefined },
  ]);
  // Read as CR then LF, the split CRLF would be two line ends, and the blank line between would cut the event in two.
  assert.deepEqual(parseChunks(["data: a\r", "\ndata: b\n\n"]), [{ event: "message", data: "a\nb", id: undefined }]);
  // A lone CR at the very end of the stream still ends its line.
  assert.deepEqual(parseChunks(["data: c\n\r"]), [{ event: "message", data: "c", id: undefined }]);
});

test("an event cut off by the end of the stream is dropped", () => {
  assert.deepEqual(parseChunks(["data: complete\n\ndata: cut"]), [{ event: "message", data: "complete", id: undefined }]);
  assert.deepEqual(parseChunks(["data: cut\n"]), []);
});

test("reading a byte stream: a multi-byte character split across chunks, and cancelling on an early exit", async () => {
  const bytes = new TextEncoder().encode('data: {"text":"é€"}\n\ndata: second\n\n');
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let index = 0; index < bytes.length; index += 3) controller.enqueue(bytes.slice(index, index + 3));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const event of readServerSentEvents(body)) {
    assert.equal(event.data, '{"text":"é€"}');
    break;
  }
  assert.equal(cancelled, true);
});
