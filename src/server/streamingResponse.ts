/**
 * The HTTP response under every streamed answer (OpenAI SSE, Ollama NDJSON, native SSE),
 * as a sink of the stream driver (src/streaming/driveStream.ts). It takes the response
 * over from the framework, sends the headers at once (the client sees the answer start
 * before the first token, even while queued), writes with backpressure, and reports a
 * client that goes away. Keep-alives, aborts and the final chunk are the driver's job.
 */
import type { ServerResponse } from "node:http";
import type { FastifyReply } from "fastify";
import type { StreamSink } from "../streaming/transport.js";

/** Why a request was aborted when its client left; nobody is left to read it. */
export function clientGone(): Error {
  return new Error("The client closed the connection");
}

/** Calls `listener` once if the client closes the connection before the response has ended. */
export function onDisconnect(response: ServerResponse, listener: (reason: unknown) => void): void {
  const onClose = () => {
    if (!response.writableFinished) listener(clientGone());
  };
  if (response.destroyed) onClose();
  else response.once("close", onClose);
}

export class StreamingResponse implements StreamSink<string> {
  readonly #response: ServerResponse;

  /** Sends the status and headers now; headers already set on the reply (CORS) are kept. */
  static open(reply: FastifyReply, contentType: string): StreamingResponse {
    reply.hijack();
    const response = reply.raw;
    response.socket?.setNoDelay(true);
    response.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      "content-type": contentType,
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // Reverse proxies (nginx) buffer responses unless told not to; tokens must flow as made.
      "x-accel-buffering": "no",
    });
    response.flushHeaders();
    return new StreamingResponse(response);
  }

  private constructor(response: ServerResponse) {
    this.#response = response;
  }

  /** True once the client went away or the response ended: writes are dropped. */
  get closed(): boolean {
    return this.#response.destroyed || this.#response.writableEnded;
  }

  write(chunk: string): Promise<void> | undefined {
    if (this.closed || this.#response.write(chunk)) return undefined;
    // The pull-based generation waits here: a slow reader slows its own generation instead of filling memory.
    const response = this.#response;
    return new Promise<void>((resolve) => {
      const done = () => {
        response.off("drain", done);
        response.off("close", done);
        resolve();
      };
      response.on("drain", done);
      response.on("close", done);
    });
  }

  onGone(listener: (reason: unknown) => void): void {
    onDisconnect(this.#response, listener);
  }

  end(): void {
    if (!this.closed) this.#response.end();
  }
}
