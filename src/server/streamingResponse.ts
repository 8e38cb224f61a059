/**
 * The transport under every streamed HTTP answer (OpenAI SSE, Ollama NDJSON, native SSE).
 * It takes the response over from the framework, sends the headers at once (the client
 * sees the answer start before the first token, even while queued), writes chunks with
 * backpressure, sends keep-alive comments while idle, and turns a client that goes away
 * into an abort signal that cancels the generation.
 */
import type { FastifyReply } from "fastify";

export interface StreamingResponseOptions {
  /** `text/event-stream` or `application/x-ndjson`. */
  contentType: string;
  /** Text written after `keepAliveIntervalMs` without output; omit for formats without comments (NDJSON). */
  keepAliveText?: string;
  /** Idle time before a keep-alive, in milliseconds. Defaults to 15000. */
  keepAliveIntervalMs?: number;
}

/** Aborts when the client closes the connection before the response has ended. */
export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  const onClose = () => {
    if (!response.writableFinished) controller.abort(new Error("The client closed the connection"));
  };
  if (response.destroyed) onClose();
  else response.once("close", onClose);
  return controller.signal;
}

export class StreamingResponse {
  readonly #reply: FastifyReply;
  readonly #options: StreamingResponseOptions;
  readonly signal: AbortSignal;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #lastWriteAt = 0;

  constructor(reply: FastifyReply, options: StreamingResponseOptions) {
    this.#reply = reply;
    this.#options = options;
    this.signal = disconnectSignal(reply);
  }

  /** True once the client went away or the response ended: writes are dropped. */
  get closed(): boolean {
    const response = this.#reply.raw;
    return response.destroyed || response.writableEnded;
  }

  /** Sends the status and headers now; headers already set on the reply (CORS) are kept. */
  open(): void {
    const reply = this.#reply;
    reply.hijack();
    const response = reply.raw;
    response.socket?.setNoDelay(true);
    response.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      "content-type": this.#options.contentType,
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // Reverse proxies (nginx) buffer responses unless told not to; tokens must flow as made.
      "x-accel-buffering": "no",
    });
    response.flushHeaders();
    this.#lastWriteAt = performance.now();
    const keepAliveText = this.#options.keepAliveText;
    if (keepAliveText !== undefined) {
      const interval = this.#options.keepAliveIntervalMs ?? 15_000;
      this.#keepAliveTimer = setInterval(() => {
        if (performance.now() - this.#lastWriteAt >= interval) void this.write(keepAliveText);
      }, Math.max(10, Math.floor(interval / 2)));
      this.#keepAliveTimer.unref();
    }
    response.once("close", () => this.#stopKeepAlive());
  }

  /** Writes a chunk; resolves when the socket can take more (or the client is gone). */
  async write(chunk: string): Promise<void> {
    if (this.closed) return;
    this.#lastWriteAt = performance.now();
    const response = this.#reply.raw;
    if (response.write(chunk)) return;
    // The pull-based generation waits here: a slow reader slows its own generation instead of filling memory.
    await new Promise<void>((resolve) => {
      const done = () => {
        response.off("drain", done);
        response.off("close", done);
        resolve();
      };
      response.on("drain", done);
      response.on("close", done);
    });
  }

  end(): void {
    this.#stopKeepAlive();
    if (!this.closed) this.#reply.raw.end();
  }

  #stopKeepAlive(): void {
    if (this.#keepAliveTimer !== undefined) clearInterval(this.#keepAliveTimer);
    this.#keepAliveTimer = undefined;
  }
}
