/**
 * The one stream every API is built on. It is read once, in one of two shapes:
 * - as token events (`for await`, `.text()`, the Web and Node stream conversions), with the
 *   outcome in `result`, which resolves or rejects when the generation ends;
 * - as parts (`parts()`): the same text parts, then exactly one `finish` or `error` part,
 *   so a reader needs nothing else.
 * Observers (`observer` option of `context.stream`) watch either shape without reading it.
 * Leaving early (`break`, `return`, a throw, cancelling the Web stream, destroying the
 * Node stream, `close()`) stops generation at once and frees the sequence.
 */
import type { Readable } from "node:stream";
import { InvalidArgumentError } from "../errors.js";
import type { GenerationResult, TokenEvent } from "../generation/events.js";
import type { ContentPart, FinalPart, StreamObserver, StreamPart } from "../generation/parts.js";
import type { GenerationEnd } from "../generation/tally.js";
import { nodeReadable, webReadable } from "./readables.js";

/** @internal What a TokenStream reads: content parts, then how the generation ended (nothing when closed from outside). */
export type PartSource = AsyncGenerator<ContentPart, GenerationEnd | undefined, undefined>;

/** @internal How Context builds a stream. */
export interface TokenStreamSettings {
  /** Builds the result from how the generation ended. */
  finish: (end: GenerationEnd) => GenerationResult;
  /** The generation's abort signal: a stream closed after it fired ended with `"abort"`. */
  signal?: AbortSignal;
  observer?: StreamObserver | undefined;
  /** Runs at the first pull: a stream nobody reads holds nothing and needs no tracking. */
  onStart?: () => void;
  /** Runs once when the stream ends, before the observer hears of it. */
  onEnd?: () => void;
}

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

export class TokenStream implements AsyncIterable<TokenEvent> {
  /** Resolves when the generation ends, however it ends; rejects when it fails. */
  readonly result: Promise<GenerationResult>;
  readonly #source: PartSource;
  readonly #settings: TokenStreamSettings;
  readonly #ended: Promise<FinalPart>;
  #announceEnd!: (part: FinalPart) => void;
  #settleResult!: { resolve: (result: GenerationResult) => void; reject: (error: unknown) => void };
  #final: FinalPart | undefined;
  #consumed = false;
  #started = false;
  #sawText = false;

  /** @internal Built by Context. */
  static create(source: PartSource, settings: TokenStreamSettings): TokenStream {
    return new TokenStream(source, settings);
  }

  private constructor(source: PartSource, settings: TokenStreamSettings) {
    this.#source = source;
    this.#settings = settings;
    this.result = new Promise<GenerationResult>((resolve, reject) => (this.#settleResult = { resolve, reject }));
    // Nobody has to await the result; a failure still surfaces through the iterator.
    this.result.catch(() => {});
    this.#ended = new Promise<FinalPart>((resolve) => (this.#announceEnd = resolve));
  }

  /**
   * Stops the generation and frees its sequence; iteration ends. Resolves once the
   * sequence is free (after the decode in flight, if any). Safe to call at any time.
   * The result says `"abort"` when the generation's signal had fired (or it never
   * started), `"callback"` otherwise, unless the generation had already reached its end.
   */
  async close(): Promise<void> {
    this.#consumed = true;
    const started = this.#started;
    try {
      await this.#source.return(undefined);
    } catch (error) {
      this.#settle({ type: "error", error });
      throw error;
    }
    if (this.#final === undefined) this.#settle(this.#finishPart({ stopReason: !started || this.#settings.signal?.aborted === true ? "abort" : "callback" }));
  }

  [Symbol.asyncIterator](): AsyncIterator<TokenEvent> {
    this.#claim();
    return {
      next: () => this.#pullText(),
      // return() goes through close(), which also settles a stream left before its first event.
      return: async () => {
        await this.close();
        return done;
      },
      throw: (error?: unknown) => this.#source.throw(error).then(this.#onNext, this.#onError) as Promise<IteratorResult<TokenEvent, undefined>>,
    };
  }

  /**
   * The stream as parts: each text part (the same objects the events are), then exactly
   * one `finish` (with the result) or `error` (with the error) part. Leaving early stops
   * the generation like any other way of leaving; the final part then goes to observers.
   */
  parts(): AsyncIterableIterator<StreamPart> {
    this.#claim();
    let finalDelivered = false;
    const final = (): Promise<IteratorResult<StreamPart, undefined>> => {
      finalDelivered = true;
      return this.#ended.then((part) => ({ done: false, value: part }));
    };
    return {
      next: () => (finalDelivered ? Promise.resolve(done) : this.#pull().then((next) => (next.done ? final() : next), final)),
      return: async () => {
        finalDelivered = true;
        await this.close();
        return done;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Consumes the stream and returns all of its text. */
  async text(): Promise<string> {
    for await (const _event of this) {
      // The result accumulates the text; the events need no handling here.
    }
    return (await this.result).text;
  }

  /** A Web `ReadableStream` of text pieces; cancelling it stops generation. */
  toReadableStream(): ReadableStream<string> {
    return webReadable(this[Symbol.asyncIterator]());
  }

  /** A Node `Readable` of UTF-8 text (`objectMode` gives TokenEvent objects instead); destroying it stops generation. */
  toNodeReadable(options: { objectMode?: boolean } = {}): Readable {
    return nodeReadable(this[Symbol.asyncIterator](), options.objectMode ?? false);
  }

  #claim(): void {
    if (this.#consumed) throw new InvalidArgumentError("stream", "a TokenStream can be consumed only once");
    this.#consumed = true;
  }

  /** The next text part: token events are the text; tool calls are read from parts() or the result. */
  async #pullText(): Promise<IteratorResult<TokenEvent, undefined>> {
    for (;;) {
      const next = await this.#pull();
      if (next.done || next.value.type === "text") return next as IteratorResult<TokenEvent, undefined>;
    }
  }

  /** The next content part, or done once the stream has ended (the final part is then known). */
  #pull(): Promise<IteratorResult<ContentPart, undefined>> {
    if (this.#final !== undefined) return Promise.resolve(done);
    if (!this.#started) {
      this.#started = true;
      this.#settings.onStart?.();
    }
    return this.#source.next().then(this.#onNext, this.#onError);
  }

  readonly #onNext = (next: IteratorResult<ContentPart, GenerationEnd | undefined>): IteratorResult<ContentPart, undefined> => {
    if (next.done) {
      // No value: the source was closed from outside, and close() settles the stream.
      if (next.value !== undefined) this.#settle(this.#finishPart(next.value));
      return done;
    }
    const observer = this.#settings.observer;
    if (observer !== undefined) {
      const part = next.value;
      if (!this.#sawText && part.type === "text") {
        this.#sawText = true;
        observer.onFirstToken?.(part);
      }
      observer.onPart?.(part);
    }
    return next;
  };

  readonly #onError = (error: unknown): never => {
    this.#settle({ type: "error", error });
    throw error;
  };

  #finishPart(end: GenerationEnd): FinalPart {
    const result = this.#settings.finish(end);
    const signal = this.#settings.signal;
    if (result.stopReason === "abort" && signal?.aborted) return { type: "finish", result, abortReason: signal.reason };
    return { type: "finish", result };
  }

  /** Ends the stream once: the first final part wins. */
  #settle(part: FinalPart): void {
    if (this.#final !== undefined) return;
    this.#final = part;
    this.#settings.onEnd?.();
    if (part.type === "finish") this.#settleResult.resolve(part.result);
    else this.#settleResult.reject(part.error);
    this.#announceEnd(part);
    this.#settings.observer?.onFinish?.(part);
  }
}
