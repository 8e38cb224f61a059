/**
 * The server's resumable streams, by id. Ids are 128 random bits (unguessable), and a
 * stream answers only to the API key that started it: another key or an unknown id is the
 * same 404, so a probe learns nothing. A stream with no client attached (its client left,
 * or was sent everything) is kept for the resume window; then, or on `DELETE`, it is
 * cancelled (its generation ends within a token and frees its sequence) and forgotten. At
 * most `maxDetachedStreams` are kept that way: beyond that the one idle longest goes first, so
 * clients that disconnect cannot exhaust memory.
 */
import { randomBytes } from "node:crypto";
import { RequestError } from "./httpErrors.js";
import { ResumableStream } from "./resumableStream.js";

export interface ResumableStreamLimits {
  /** How long a stream with no client is kept, in milliseconds. */
  windowMs: number;
  /** Most streams kept with no client attached. */
  maxDetachedStreams: number;
  /** Most bytes of events each stream keeps for a resume. */
  maxBufferBytes: number;
}

/** Why a stream was cancelled without a client to tell: the window passed, it was deleted, or evicted. */
export function streamAbandoned(why: string): Error {
  return new Error(`The stream was cancelled: ${why}`);
}

export class ResumableStreams {
  readonly #limits: ResumableStreamLimits;
  readonly #streams = new Map<string, ResumableStream>();
  readonly #timers = new Map<ResumableStream, NodeJS.Timeout>();

  constructor(limits: ResumableStreamLimits) {
    this.#limits = limits;
  }

  /** Streams kept, with or without a client. */
  get size(): number {
    return this.#streams.size;
  }

  create(owner: string): ResumableStream {
    const stream = new ResumableStream({ id: randomBytes(16).toString("base64url"), owner, maxBufferBytes: this.#limits.maxBufferBytes, onIdle: (idle) => this.#onIdle(idle) });
    this.#streams.set(stream.id, stream);
    return stream;
  }

  /** The stream `id` if `owner` started it and it is still kept; a 404 otherwise. */
  find(id: string, owner: string): ResumableStream {
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.owner !== owner) throw new RequestError(404, "NOT_FOUND", `No stream ${JSON.stringify(id)}: it ended more than the resume window ago, was cancelled, or never existed`);
    return stream;
  }

  /** Stops the stream's window: a client is about to attach. */
  hold(stream: ResumableStream): void {
    clearTimeout(this.#timers.get(stream));
    this.#timers.delete(stream);
  }

  /** Cancels a stream now and forgets it. */
  cancel(stream: ResumableStream, why: string): void {
    clearTimeout(this.#timers.get(stream));
    this.#timers.delete(stream);
    this.#streams.delete(stream.id);
    stream.cancel(streamAbandoned(why));
  }

  /** Cancels every stream (shutdown). */
  cancelAll(): void {
    for (const stream of [...this.#streams.values()]) this.cancel(stream, "the server is shutting down");
  }

  #onIdle(stream: ResumableStream): void {
    if (!this.#streams.has(stream.id)) return;
    clearTimeout(this.#timers.get(stream));
    const timer = setTimeout(() => this.cancel(stream, "nobody resumed it within the resume window"), this.#limits.windowMs);
    timer.unref();
    this.#timers.set(stream, timer);
    while (this.#timers.size > this.#limits.maxDetachedStreams) {
      let oldest: ResumableStream | undefined;
      for (const idle of this.#timers.keys()) if (oldest === undefined || (idle.idleSince ?? 0) < (oldest.idleSince ?? 0)) oldest = idle;
      this.cancel(oldest!, "too many streams were left without a client");
    }
  }
}
