/**
 * The one stream every API is built on: an async iterable of token events that also
 * resolves to a result. It can be consumed once, by `for await`, `.text()`, or one of
 * the conversions to Web and Node streams. Leaving early (`break`, `return`, a throw,
 * cancelling the Web stream, destroying the Node stream) stops generation at once and
 * frees the sequence.
 */
import { Readable } from "node:stream";
import { InvalidArgumentError } from "../errors.js";
import type { GenerationResult, TokenEvent } from "../generation/events.js";

export class TokenStream implements AsyncIterable<TokenEvent> {
  /** Resolves when the generation ends, however it ends; rejects when it fails. */
  readonly result: Promise<GenerationResult>;
  readonly #events: AsyncGenerator<TokenEvent, void, undefined>;
  #consumed = false;

  readonly #finish: (cancelledBeforeStart: boolean) => GenerationResult;
  readonly #settle: { resolve: (result: GenerationResult) => void; reject: (error: unknown) => void };
  #started = false;
  readonly #onStart: (() => void) | undefined;

  /**
   * @internal Built by Context. `finish` turns the generation's final progress into the
   * result; it is told when the stream was closed before it ever started. `onStart` runs
   * when iteration begins (a stream nobody iterates holds nothing and is not tracked).
   */
  static create(
    events: AsyncGenerator<TokenEvent, void, undefined>,
    finish: (cancelledBeforeStart: boolean) => GenerationResult,
    onStart?: () => void,
  ): TokenStream {
    return new TokenStream(events, finish, onStart);
  }

  private constructor(
    events: AsyncGenerator<TokenEvent, void, undefined>,
    finish: (cancelledBeforeStart: boolean) => GenerationResult,
    onStart?: () => void,
  ) {
    let settle!: { resolve: (result: GenerationResult) => void; reject: (error: unknown) => void };
    this.result = new Promise<GenerationResult>((resolve, reject) => (settle = { resolve, reject }));
    // Nobody has to await the result; a failure still surfaces through the iterator.
    this.result.catch(() => {});
    this.#settle = settle;
    this.#finish = finish;
    this.#onStart = onStart;
    this.#events = this.#run(events);
  }

  async *#run(events: AsyncGenerator<TokenEvent, void, undefined>): AsyncGenerator<TokenEvent, void, undefined> {
    this.#started = true;
    this.#onStart?.();
    try {
      yield* events;
    } catch (error) {
      this.#settle.reject(error);
      throw error;
    } finally {
      this.#settle.resolve(this.#finish(false));
    }
  }

  /**
   * Stops the generation and frees its sequence; iteration ends. Resolves once the
   * sequence is free (after the decode in flight, if any). Safe to call at any time.
   */
  async close(): Promise<void> {
    this.#consumed = true;
    await this.#events.return();
    if (!this.#started) this.#settle.resolve(this.#finish(true));
  }

  [Symbol.asyncIterator](): AsyncIterator<TokenEvent> {
    if (this.#consumed) throw new InvalidArgumentError("stream", "a TokenStream can be consumed only once");
    this.#consumed = true;
    const events = this.#events;
    // return() goes through close(), which also settles the result of a stream that
    // is left before its first event.
    return {
      next: () => events.next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
      throw: (error?: unknown) => events.throw(error),
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
    const iterator = this[Symbol.asyncIterator]();
    return new ReadableStream<string>(
      {
        async pull(controller) {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value.text);
        },
        async cancel() {
          await iterator.return?.();
        },
      },
      // Pull one piece at a time: the engine decodes only when the reader wants more.
      { highWaterMark: 0 },
    );
  }

  /** A Node `Readable` of UTF-8 text (`objectMode` gives TokenEvent objects instead); destroying it stops generation. */
  toNodeReadable(options: { objectMode?: boolean } = {}): Readable {
    const iterator = this[Symbol.asyncIterator]();
    const objectMode = options.objectMode ?? false;
    return new Readable({
      objectMode,
      highWaterMark: 1,
      encoding: objectMode ? undefined : "utf8",
      async read() {
        try {
          const next = await iterator.next();
          this.push(next.done ? null : objectMode ? next.value : next.value.text);
        } catch (error) {
          this.destroy(error as Error);
        }
      },
      destroy(error, callback) {
        Promise.resolve(iterator.return?.()).then(() => callback(error), callback);
      },
    });
  }
}
