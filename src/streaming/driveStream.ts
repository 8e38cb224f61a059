/**
 * The one driver between a stream of parts and a wire. Every transport (OpenAI and native
 * SSE, Ollama NDJSON, WebSocket messages, the worker bridge) is a wire format (a pure
 * function from part to chunk) and a sink (where chunks go), see transport.ts; this
 * driver does the rest the same way for all of them:
 * - backpressure: it pulls the next part only once the sink has taken the last chunk, so
 *   a slow reader slows its own generation (the engine decodes on pull);
 * - keep-alives: a quiet stream gets the format's keep-alive chunk;
 * - stopping: the request's one AbortController ends the generation; the driver aborts it
 *   when the sink's peer goes away, and whoever else may end the request (a cancel
 *   message, shutdown) aborts the same controller. A sink that never drains does not hold
 *   the driver once the request is aborted;
 * - the end: exactly one final part reaches the format, and `onEnd` (logs) hears of it.
 */
import type { GenerationResult } from "../generation/events.js";
import type { ContentPart, ErrorPart, FinishPart } from "../generation/parts.js";
import type { DeliveryOutcome } from "./channel.js";
import type { PartOf, PartStream, StreamSink, WireFormat } from "./transport.js";

export interface DriveOptions<Result> {
  /**
   * The request's one AbortController: the generation was started with its signal. The
   * driver aborts it when the sink's peer goes away, and stops waiting on the sink once it
   * is aborted. Defaults to none: the peer going away then closes the stream.
   */
  controller?: AbortController;
  /** Quiet time before the format's keep-alive chunk is written, in milliseconds. Defaults to 15000. */
  keepAliveIntervalMs?: number;
  /** Told once how the stream ended (for logs), after its final chunk was written. */
  onEnd?: (end: StreamEnd<Result>) => void;
}

/** How a drive ended. */
export interface StreamEnd<Result = GenerationResult> {
  /** `failed` for an error part, `cancelled` when the peer left first, else `completed`. */
  outcome: DeliveryOutcome;
  final: FinishPart<Result> | ErrorPart;
}

/** Drives `stream` into `sink` in the words of `format`; never rejects. */
export async function driveStream<Chunk, Content extends { type: string } = ContentPart, Result = GenerationResult>(
  stream: PartStream<Content, Result>,
  format: WireFormat<Chunk, Content, Result>,
  sink: StreamSink<Chunk>,
  options: DriveOptions<Result> = {},
): Promise<StreamEnd<Result>> {
  // Claimed before anything can close the stream: the final part must come through here.
  const parts = stream.parts();
  const halt = new Halt(options.controller?.signal);
  let gone = false;
  let closing: Promise<void> | undefined;
  sink.onGone?.((reason) => {
    gone = true;
    options.controller?.abort(reason);
    halt.stop();
    closing ??= stream.close().catch(() => {});
  });
  let lastWriteAt = performance.now();
  let full = false;
  /** Writes a chunk; returns what to wait for only while the sink is full (no await per part otherwise). */
  const write = (chunk: Chunk | undefined): Promise<void> | undefined => {
    if (chunk === undefined) return undefined;
    lastWriteAt = performance.now();
    const pending = sink.write(chunk);
    if (pending === undefined) return undefined;
    full = true;
    return halt.race(pending).then(() => {
      full = false;
    });
  };
  const keepAliveMs = options.keepAliveIntervalMs ?? 15_000;
  const keepAliveChunk = format.keepAlive;
  const keepAlive =
    keepAliveChunk === undefined
      ? undefined
      : startTimer(keepAliveMs, () => {
          // A full sink is not quiet: its reader is behind, not gone.
          if (full || performance.now() - lastWriteAt < keepAliveMs) return;
          lastWriteAt = performance.now();
          void sink.write(keepAliveChunk);
        });

  let final: FinishPart<Result> | ErrorPart | undefined;
  try {
    if (sink.ready !== undefined) await halt.race(sink.ready());
    await write(format.opening);
    for await (const part of parts) {
      if (isFinal(part)) {
        const last = part;
        final = last;
        // The last chunk is not waited for: the sink's end() flushes it.
        tryWrite(sink, () => format.format(last));
        break;
      }
      const waiting = write(format.format(part));
      if (waiting !== undefined) await waiting;
    }
  } catch (error) {
    // A format or a sink threw (a bug): the stream is stopped and the reader told.
    const failure: ErrorPart = { type: "error", error };
    final = failure;
    await stream.close().catch(() => {});
    tryWrite(sink, () => format.format(failure));
  } finally {
    clearInterval(keepAlive);
    halt.dispose();
    await closing;
    sink.end();
  }
  // A parts() iteration always ends with its final part; this is for sources that break that promise.
  final ??= { type: "error", error: new Error("The stream ended without a final part") };
  const end: StreamEnd<Result> = { outcome: final.type === "error" ? "failed" : gone ? "cancelled" : "completed", final };
  options.onEnd?.(end);
  return end;
}

/**
 * Reads a part stream as chunks, for consumers that pull (an async generator, a Web
 * stream): no sink, no keep-alives. Leaving early stops the stream.
 */
export async function* formatParts<Chunk, Content, Result>(parts: AsyncIterable<PartOf<Content, Result>>, format: WireFormat<Chunk, Content, Result>): AsyncGenerator<Chunk, void, undefined> {
  if (format.opening !== undefined) yield format.opening;
  for await (const part of parts) {
    const chunk = format.format(part);
    if (chunk !== undefined) yield chunk;
  }
}

function isFinal<Content extends { type: string }, Result>(part: PartOf<Content, Result>): part is FinishPart<Result> | ErrorPart {
  return part.type === "finish" || part.type === "error";
}

function tryWrite<Chunk>(sink: StreamSink<Chunk>, chunk: () => Chunk | undefined): void {
  try {
    const value = chunk();
    if (value !== undefined) void sink.write(value);
  } catch {
    // The format cannot describe its own failure: the sink just ends.
  }
}

/** Checks twice per interval, so a keep-alive goes out between one and one and a half intervals after the last write. */
function startTimer(intervalMs: number, tick: () => void): NodeJS.Timeout {
  const timer = setInterval(tick, Math.max(10, Math.floor(intervalMs / 2)));
  timer.unref();
  return timer;
}

/** Ends the driver's waits on the sink when the request is aborted or the peer is gone. One listener for the whole drive. */
class Halt {
  readonly #signal: AbortSignal | undefined;
  readonly #halted: Promise<void>;
  #stop!: () => void;

  constructor(signal: AbortSignal | undefined) {
    this.#signal = signal;
    this.#halted = new Promise<void>((resolve) => (this.#stop = resolve));
    signal?.addEventListener("abort", this.#stop, { once: true });
    if (signal?.aborted) this.#stop();
  }

  stop(): void {
    this.#stop();
  }

  race(wait: Promise<void>): Promise<void> {
    return Promise.race([wait, this.#halted]);
  }

  dispose(): void {
    this.#signal?.removeEventListener("abort", this.#stop);
  }
}
