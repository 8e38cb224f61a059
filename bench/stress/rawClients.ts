/**
 * Clients that misbehave below what a client library allows: a socket cut before the
 * response headers (mid-headers, mid-body, right after the request, mid-upgrade), a slow
 * reader that takes one chunk a second, and a silent reader that reads nothing for a
 * while (its TCP window fills, then the server's writes wait), then reads all or leaves.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import WebSocket from "ws";
import { ClientRun, type Outcome } from "./outcome.ts";
import { parseRetryAfter, wireRequest, type RequestSpec } from "./requests.ts";
import { WireDecoder } from "./wire.ts";

export const earlyHangUps = ["mid-headers", "mid-body", "after-request", "mid-upgrade"] as const;
export type EarlyHangUp = (typeof earlyHangUps)[number];

/**
 * Writes part of a request (or all of it) on a raw socket, waits `delayMs`, and cuts the
 * socket. Only an answer that came back first can fail it: a 5xx other than 503.
 */
export function hangUpEarly(url: string, spec: RequestSpec, how: EarlyHangUp, delayMs: number): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  const { path, body } = wireRequest(spec);
  const json = JSON.stringify(body);
  const head =
    how === "mid-upgrade"
      ? `GET /ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from("stress-test-key!").toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`
      : `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n`;
  const bytes = how === "mid-headers" ? head.slice(0, head.length >> 1) : how === "mid-body" ? head + json.slice(0, json.length >> 1) : how === "mid-upgrade" ? head : head + json;
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes);
      setTimeout(() => {
        socket.destroy();
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
        if (status >= 500 && status !== 503) resolve({ kind: "failed", detail: `answered ${status} before the hang-up: ${answer.slice(0, 200)}` });
        else resolve({ kind: "hung-up", pieces: 0, headers: answer.length > 0 });
      }, delayMs);
    });
    socket.setEncoding("latin1").on("data", (text: string) => (answer += text));
    socket.on("error", (error) => resolve({ kind: "failed", detail: `socket error: ${error.message}` }));
  });
}

/** What a reader does with a response body: take a chunk per interval, or nothing for a while. */
export type ReaderPace = { slow: { chunkIntervalMs: number } } | { silent: { until: Promise<unknown>; then: "read" | "hang-up" } };

/** A streamed HTTP request read at the given pace (a fresh connection; node:http's parser stops reading the socket while the body waits). */
export function pacedReader(url: string, spec: RequestSpec, pace: ReaderPace, timeoutMs: number): Promise<Outcome> {
  const run = new ClientRun(undefined, timeoutMs);
  const { path, body } = wireRequest(spec);
  const json = JSON.stringify(body);
  const read = new Promise<Outcome>((resolve) => {
    const request = httpRequest(`${url}${path}`, { method: "POST", agent: false, signal: run.signal, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(json) } });
    request.on("error", (error) => resolve(run.failed(error)));
    request.on("response", (response) => {
      run.headers = true;
      readPaced(response, spec, pace, run).then(resolve, (error: unknown) => resolve(run.failed(error)));
    });
    request.end(json);
  });
  return Promise.race([read, run.expired]);
}

async function readPaced(response: IncomingMessage, spec: RequestSpec, pace: ReaderPace, run: ClientRun): Promise<Outcome> {
  response.setEncoding("utf8");
  if (response.statusCode === 503) {
    const retryAfterSeconds = parseRetryAfter(response.headers["retry-after"] as string | undefined);
    return run.settle({ kind: "busy", retryAfterSeconds, clean: retryAfterSeconds !== undefined, detail: await readAll(response) });
  }
  if (response.statusCode !== 200) return run.settle({ kind: "failed", detail: `status ${response.statusCode}: ${await readAll(response)}` });
  const decoder = new WireDecoder(spec.kind);
  let bytesAfterSilence: number | undefined;
  if ("silent" in pace) {
    await pace.silent.until;
    if (pace.silent.then === "hang-up") {
      response.destroy();
      return run.settle({ kind: "hung-up", pieces: 0, headers: true });
    }
    const rest = await readAll(response);
    decoder.push(rest);
    bytesAfterSilence = Buffer.byteLength(rest);
  } else {
    let ended = false;
    response.once("end", () => (ended = true));
    while (!ended && !run.signal.aborted) {
      await delay(pace.slow.chunkIntervalMs);
      const chunk = response.read() as string | null;
      if (chunk !== null) decoder.push(chunk);
    }
  }
  // No time to first token here: these readers choose when they read.
  const { progress } = decoder;
  if (progress.error !== undefined) return run.settle({ kind: "failed", detail: `in-stream error ${progress.error}` });
  return progress.ended ? run.settle({ kind: "completed", text: progress.text, firstPieceMs: undefined, bytesAfterSilence }) : run.settle({ kind: "failed", detail: "the stream ended without its last event" });
}

/** A WebSocket generation whose client stops reading the socket until `until` settles, then reads the rest or cuts it. */
export function silentWebSocket(url: string, spec: RequestSpec, until: Promise<unknown>, then: "read" | "hang-up", timeoutMs: number): Promise<Outcome> {
  const run = new ClientRun(undefined, timeoutMs);
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/ws`);
  const read = new Promise<Outcome>((resolve) => {
    let text = "";
    run.signal.addEventListener("abort", () => socket.terminate());
    socket.on("open", () => {
      socket.send(JSON.stringify(wireRequest(spec).body));
      socket.pause();
      void until.then(() => {
        if (then === "read") return socket.resume();
        socket.terminate();
        resolve(run.settle({ kind: "hung-up", pieces: 0, headers: true }));
      });
    });
    let bytesAfterSilence = 0;
    socket.on("message", (data) => {
      bytesAfterSilence += String(data).length;
      const message = JSON.parse(String(data)) as { type: string; text?: string; error?: { code: string; message: string } };
      if (message.type === "token") text += message.text ?? "";
      else {
        if (message.type === "done") resolve(run.settle({ kind: "completed", text, firstPieceMs: undefined, bytesAfterSilence }));
        else if (message.error?.code === "SERVER_BUSY") resolve(run.settle({ kind: "busy", retryAfterSeconds: undefined, clean: true, detail: message.error.message }));
        else resolve(run.settle({ kind: "failed", detail: `error message ${JSON.stringify(message.error)}` }));
        socket.close(1000);
      }
    });
    socket.on("error", (error) => resolve(run.failed(error)));
    socket.on("close", () => resolve(run.settle({ kind: "failed", detail: "closed before done" })));
  });
  return Promise.race([read, run.expired]);
}

async function readAll(response: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of response) text += chunk as string;
  return text;
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
