/**
 * The stress clients, one per protocol, each through the client a user of that protocol
 * would pick: the official `openai` package, the `ollama` package, `fetch` on the native
 * SSE route, and `ws` on `/ws`. Each sends the request of a spec, reads the answer (or
 * hangs up as planned), and says how it went as an {@link Outcome}.
 */
import { Ollama } from "ollama";
import OpenAI from "openai";
import WebSocket from "ws";
import { ClientRun, type HangUp, type Outcome } from "./outcome.ts";
import { parseRetryAfter, wireRequest, type RequestSpec } from "./requests.ts";
import { WireDecoder } from "./wire.ts";

export interface ClientCall {
  /** The server's base URL, `http://127.0.0.1:<port>`. */
  url: string;
  spec: RequestSpec;
  hangUp?: HangUp;
  /** Past this, the request counts as a hang, in milliseconds. */
  timeoutMs: number;
}

export async function runClient(call: ClientCall): Promise<Outcome> {
  const run = new ClientRun(call.hangUp, call.timeoutMs);
  return Promise.race([drive(call, run), run.expired]);
}

async function drive(call: ClientCall, run: ClientRun): Promise<Outcome> {
  try {
    if (call.spec.kind.startsWith("openai")) return await openAiClient(call, run);
    if (call.spec.kind.startsWith("ollama")) return await ollamaClient(call, run);
    if (call.spec.kind === "native-sse") return await nativeClient(call, run);
    return await webSocketClient(call, run);
  } catch (error) {
    return run.failed(error);
  }
}

async function openAiClient(call: ClientCall, run: ClientRun): Promise<Outcome> {
  const client = new OpenAI({ baseURL: `${call.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: call.timeoutMs });
  const { body } = wireRequest(call.spec);
  const chat = call.spec.kind.startsWith("openai-chat");
  const create = (chat ? client.chat.completions.create.bind(client.chat.completions) : client.completions.create.bind(client.completions)) as (body: unknown, options: unknown) => Promise<unknown>;
  try {
    const answer = await create(body, { signal: run.signal });
    run.headers = true;
    if (body.stream !== true) {
      const choice = (answer as { choices: { text?: string; message?: { content: string | null } }[] }).choices[0];
      const text = choice?.message?.content ?? choice?.text ?? "";
      run.piece(text);
      return run.completed(text);
    }
    let text = "";
    let finished = false;
    for await (const chunk of answer as AsyncIterable<{ choices: { text?: string; delta?: { content?: string | null }; finish_reason: string | null }[] }>) {
      const choice = chunk.choices[0];
      const piece = choice?.delta?.content ?? choice?.text ?? "";
      text += piece;
      run.piece(piece);
      if (choice?.finish_reason) finished = true;
    }
    return finished ? run.completed(text) : run.settle({ kind: "failed", detail: "the stream ended without a finish_reason" });
  } catch (error) {
    if (error instanceof OpenAI.APIError && error.status === 503) {
      const retryAfterSeconds = parseRetryAfter(error.headers?.get("retry-after"));
      return run.settle({ kind: "busy", retryAfterSeconds, clean: retryAfterSeconds !== undefined && error.code === "server_busy", detail: `${error.code}: ${error.message}` });
    }
    throw error;
  }
}

/** A generate or chat answer, or one part of a streamed one. */
interface OllamaPart {
  response?: string;
  message?: { content: string };
  done: boolean;
}

async function ollamaClient(call: ClientCall, run: ClientRun): Promise<Outcome> {
  let retryAfter: string | null = null;
  // The package keeps no headers on its errors: this fetch reads Retry-After, and carries the hang-up.
  const ollama = new Ollama({
    host: call.url,
    fetch: async (input, init) => {
      const response = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, run.signal]) : run.signal });
      retryAfter = response.headers.get("retry-after");
      return response;
    },
  });
  const { path, body } = wireRequest(call.spec);
  const request = body as never;
  try {
    if (body.stream !== true) {
      const answer = (path === "/api/chat" ? await ollama.chat(request) : await ollama.generate(request)) as unknown as OllamaPart;
      const text = answer.message?.content ?? answer.response ?? "";
      run.headers = true;
      run.piece(text);
      return answer.done ? run.completed(text) : run.settle({ kind: "failed", detail: "the answer is not done" });
    }
    const parts = (path === "/api/chat" ? await ollama.chat(request) : await ollama.generate(request)) as unknown as AsyncIterable<OllamaPart>;
    run.headers = true;
    let text = "";
    let done = false;
    for await (const part of parts) {
      const piece = part.message?.content ?? part.response ?? "";
      text += piece;
      run.piece(piece);
      done ||= part.done;
    }
    return done ? run.completed(text) : run.settle({ kind: "failed", detail: "the stream ended without done: true" });
  } catch (error) {
    const status = (error as { status_code?: number }).status_code;
    if (status === 503) {
      const retryAfterSeconds = parseRetryAfter(retryAfter);
      return run.settle({ kind: "busy", retryAfterSeconds, clean: retryAfterSeconds !== undefined, detail: (error as Error).message });
    }
    throw error;
  }
}

async function nativeClient(call: ClientCall, run: ClientRun): Promise<Outcome> {
  const { path, body } = wireRequest(call.spec);
  const response = await fetch(`${call.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: run.signal });
  run.headers = true;
  if (response.status === 503) {
    const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
    const answer = (await response.json()) as { error?: { code?: string; message?: string } };
    return run.settle({ kind: "busy", retryAfterSeconds, clean: retryAfterSeconds !== undefined && answer.error?.code === "SERVER_BUSY", detail: answer.error?.message ?? "" });
  }
  if (response.status !== 200) return run.settle({ kind: "failed", detail: `status ${response.status}: ${await response.text()}` });
  const decoder = new WireDecoder(call.spec.kind);
  const text = new TextDecoder();
  for await (const chunk of response.body!) {
    const before = decoder.progress.pieces;
    decoder.push(text.decode(chunk, { stream: true }));
    // Counted one by one, so that a hang-up planned after N pieces lands exactly there.
    for (let piece = before; piece < decoder.progress.pieces; piece++) run.piece("(a piece)");
  }
  const { progress } = decoder;
  if (progress.error !== undefined) return run.settle({ kind: "failed", detail: `in-stream error ${progress.error}` });
  return progress.ended ? run.completed(progress.text) : run.settle({ kind: "failed", detail: "the stream ended without its done event" });
}

function webSocketClient(call: ClientCall, run: ClientRun): Promise<Outcome> {
  const socket = new WebSocket(`${call.url.replace(/^http/, "ws")}/ws`);
  return new Promise<Outcome>((resolve) => {
    let text = "";
    const finish = (outcome: Outcome) => {
      resolve(outcome.kind === "completed" ? run.completed(text) : run.settle(outcome));
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
    };
    run.signal.addEventListener("abort", () => {
      if (run.hangUpHow === "close" && socket.readyState === WebSocket.OPEN) socket.close(1000);
      else socket.terminate();
      finish({ kind: "failed", detail: "aborted" });
    });
    socket.on("open", () => {
      run.headers = true;
      socket.send(JSON.stringify(wireRequest(call.spec).body));
    });
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { type: string; text?: string; error?: { code: string; message: string } };
      if (message.type === "token") {
        text += message.text ?? "";
        run.piece(message.text);
      } else if (message.type === "done") finish({ kind: "completed", text, firstPieceMs: undefined }); // the run adds its own time to first piece
      else if (message.error?.code === "SERVER_BUSY") finish({ kind: "busy", retryAfterSeconds: undefined, clean: true, detail: message.error.message });
      else finish({ kind: "failed", detail: `error message ${JSON.stringify(message.error)}` });
    });
    socket.on("error", (error) => finish({ kind: "failed", detail: `WebSocket error: ${error.message}` }));
    socket.on("close", (code) => finish({ kind: "failed", detail: `closed (${code}) before done` }));
  });
}
