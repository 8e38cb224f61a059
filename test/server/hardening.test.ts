/**
 * Input that never reaches a route: malformed WebSocket frames and handshakes, and
 * requests refused by the HTTP parser or the router. Each gets the protocol's error shape
 * (or the right WebSocket close code), and the server keeps serving everyone else.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import WebSocket from "ws";
import { startTestServer, type TestServer } from "./helpers.ts";

let served: TestServer;
let port: number;
before(async () => {
  served = await startTestServer({ parallel: 2 });
  port = served.server.address!.port;
});
after(() => served.server.close());

/** Sends raw bytes, then more once the response headers are in; resolves with every byte received until the server closes. */
function exchange(request: string, afterHeaders?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let sentMore = afterHeaders === undefined;
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      if (!sentMore && Buffer.concat(chunks).includes("\r\n\r\n")) {
        sentMore = true;
        socket.write(afterHeaders!);
      }
    });
    socket.on("close", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error("the server did not close the connection")));
    socket.write(request);
  });
}

function parseResponse(raw: Buffer): { status: number; headers: string; body: string } {
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  return { status: Number(text.split(" ", 2)[1]), headers: text.slice(0, end).toLowerCase(), body: text.slice(end + 4) };
}

async function assertStillServing(): Promise<void> {
  const response = await fetch(`${served.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "kjv-tiny-q8_0", prompt: "And God said", max_tokens: 3, temperature: 0 }),
  });
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens, 3);
}

const handshake =
  "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/** The close code in the server's close frame (opcode 8, unmasked, code in the first two payload bytes). */
function closeCode(raw: Buffer): number | undefined {
  const frames = raw.subarray(raw.indexOf("\r\n\r\n") + 4);
  if (frames.length < 4 || (frames[0]! & 0x0f) !== 0x8) return undefined;
  return frames.readUInt16BE(2);
}

const mask = [1, 2, 3, 4];
const badFrames: [string, Buffer, number][] = [
  ["a 2 MiB length header (over the message limit)", Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 0x20, 0, 0, ...mask]), 1009],
  ["invalid UTF-8 in a text frame", Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]), 1007],
  ["an unmasked client frame", Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002],
  ["reserved opcode 0x3", Buffer.from([0x83, 0x80, ...mask]), 1002],
  ["RSV1 without an extension", Buffer.from([0xc1, 0x80, ...mask]), 1002],
];

for (const [name, frame, code] of badFrames) {
  test(`WebSocket: ${name} closes that connection with ${code}; the server keeps serving`, async () => {
    const bystander = new WebSocket(`${served.url.replace("http", "ws")}/ws`);
    await new Promise((resolve, reject) => bystander.once("open", resolve).once("error", reject));
    const raw = await exchange(handshake, frame);
    assert.match(raw.toString("latin1"), /^HTTP\/1\.1 101 /);
    assert.equal(closeCode(raw), code);
    // Another connection is untouched, and HTTP still works.
    assert.equal(bystander.readyState, WebSocket.OPEN);
    bystander.close();
    await assertStillServing();
  });
}

const badHandshakes: [string, string, number, string][] = [
  ["a malformed Sec-WebSocket-Key", handshake.replace("dGhlIHNhbXBsZSBub25jZQ==", "abc"), 400, "INVALID_REQUEST"],
  ["an unknown Sec-WebSocket-Version", handshake.replace("Version: 13", "Version: 7"), 426, "UPGRADE_REQUIRED"],
  ["a bad Sec-WebSocket-Protocol", handshake.replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: a b,,\r\n\r\n"), 400, "INVALID_REQUEST"],
];

for (const [name, request, status, code] of badHandshakes) {
  test(`WebSocket handshake with ${name}: ${status} in the native error shape`, async () => {
    const response = parseResponse(await exchange(request));
    assert.equal(response.status, status);
    assert.match(response.headers, /content-type: application\/json/);
    const body = JSON.parse(response.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, code);
    assert.match(body.error.message, /WebSocket handshake/);
    if (status === 426) assert.match(response.headers, /sec-websocket-version: 13, 8/);
  });
}

const badRequests: [string, string, number][] = [
  ["a malformed percent-encoding", "GET /v1/models/%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400],
  ["a 5,000-character model id", `GET /v1/models/${"a".repeat(5000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414],
  ["both Content-Length and Transfer-Encoding", "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400],
  ["a control character in a header", "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Thing: a\x01b\r\n\r\n", 400],
  ["headers over the size limit", `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`, 431],
];

for (const [name, request, status] of badRequests) {
  test(`HTTP: ${name} gets ${status} in OpenAI's error shape`, async () => {
    const response = parseResponse(await exchange(request));
    assert.equal(response.status, status);
    const body = JSON.parse(response.body) as { error: { message: string; type: string; code: string } };
    assert.equal(body.error.type, "invalid_request_error");
    assert.equal(body.error.code, "invalid_request");
    assert.ok(body.error.message.length < 200, "the answer does not echo the request back");
    await assertStillServing();
  });
}

test("HTTP: a parser error on an Ollama route gets Ollama's error shape", async () => {
  const response = parseResponse(await exchange("POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  assert.equal(response.status, 400);
  assert.equal(typeof (JSON.parse(response.body) as { error: unknown }).error, "string");
});
