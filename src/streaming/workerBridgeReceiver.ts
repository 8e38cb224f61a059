/**
 * The receiving half of the worker bridge (workerBridgeSender.ts is the sending half): an
 * async iterable in the consuming thread that grants the producer credits as it consumes
 * events, cancels the generation when the loop is left early, and rebuilds the
 * producer's result or error.
 */
import type { MessagePort } from "node:worker_threads";
import type { GenerationResult, TokenEvent } from "../generation/events.js";
import { ChannelClosedError, InvalidArgumentError } from "../errors.js";
import { parseArgument, positiveInteger } from "../validation.js";
import { deserializeError } from "./workerBridgeErrors.js";
import { isProducerMessage, type ReceiverMessage } from "./workerBridgeMessages.js";

/** A pending `next()` of the receiving iterator. */
interface Waiter<Event> {
  resolve(result: IteratorResult<Event, undefined>): void;
  reject(error: unknown): void;
}

/** Options of {@link receiveStreamFromPort}. */
export interface ReceiveStreamOptions {
  /** Most events in flight (granted but not yet consumed): the bound on buffering between threads. Defaults to 16. */
  window?: number;
}

/** Events in flight between threads when no window is given. */
export const defaultStreamWindow = 16;

/**
 * The receiving end, in the consuming thread: an async iterable of the producer's events
 * with its `result`. Iterate it once; leaving the loop early cancels the generation.
 */
export function receiveStreamFromPort<Event = TokenEvent, Result = GenerationResult>(port: MessagePort, options: ReceiveStreamOptions = {}): PortStream<Event, Result> {
  const window = parseArgument(positiveInteger(), options.window ?? defaultStreamWindow, "options.window");
  return PortStream.create<Event, Result>(port, window);
}

export class PortStream<Event, Result> implements AsyncIterable<Event> {
  /**
   * Resolves to the producer's result when the stream ends, including after a cancel (a
   * TokenStream then reports `stopReason: "callback"`); `undefined` when the producing
   * stream had none. Rejects with the producer's error.
   */
  readonly result: Promise<Result>;
  readonly #port: MessagePort;
  readonly #window: number;
  readonly #buffer: Event[] = [];
  #settleResult!: { resolve: (result: Result) => void; reject: (error: unknown) => void };
  #waiter: Waiter<Event> | undefined;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #consumedSinceGrant = 0;
  #started = false;
  #cancelled = false;

  /** @internal Built by {@link receiveStreamFromPort}. */
  static create<Event, Result>(port: MessagePort, window: number): PortStream<Event, Result> {
    return new PortStream<Event, Result>(port, window);
  }

  private constructor(port: MessagePort, window: number) {
    this.#port = port;
    this.#window = window;
    this.result = new Promise<Result>((resolve, reject) => (this.#settleResult = { resolve, reject }));
    // Nobody has to await the result; a failure also surfaces through the iterator.
    this.result.catch(() => {});
  }

  [Symbol.asyncIterator](): AsyncIterator<Event, undefined> {
    if (this.#started) throw new InvalidArgumentError("stream", "a PortStream can be consumed only once");
    this.#started = true;
    // Listening starts the port; messages sent before now were queued by it, not lost.
    this.#port.on("message", this.#onMessage);
    this.#port.on("close", this.#onClose);
    this.#post({ type: "stream-credit", count: this.#window });
    return {
      next: () => this.#next(),
      return: async () => {
        await this.#cancel();
        return { done: true, value: undefined };
      },
    };
  }

  /** Consumes the stream and returns the concatenation of the events' `text`. */
  async text(): Promise<string> {
    let text = "";
    for await (const event of this) text += (event as { text?: string }).text ?? "";
    return text;
  }

  #next(): Promise<IteratorResult<Event, undefined>> {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift() as Event;
      this.#countConsumed();
      return Promise.resolve({ done: false, value });
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure.error);
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /** Grants credits back in batches of half a window: fewer messages, and the producer never idles. */
  #countConsumed(): void {
    if (++this.#consumedSinceGrant < Math.ceil(this.#window / 2) || this.#ended) return;
    this.#post({ type: "stream-credit", count: this.#consumedSinceGrant });
    this.#consumedSinceGrant = 0;
  }

  /** Asks the producer to stop and waits until it has (its end or error message), so the generation is freed on return. */
  async #cancel(): Promise<void> {
    this.#buffer.length = 0;
    if (this.#ended) return;
    if (!this.#cancelled) {
      this.#cancelled = true;
      this.#post({ type: "stream-cancel" });
    }
    await this.result.catch(() => {});
  }

  readonly #onMessage = (message: unknown): void => {
    if (!isProducerMessage<Event, Result>(message) || this.#ended) return;
    if (message.type === "stream-token") {
      if (this.#cancelled) return;
      const waiter = this.#takeWaiter();
      if (waiter === undefined) this.#buffer.push(message.event);
      else {
        this.#countConsumed();
        waiter.resolve({ done: false, value: message.event });
      }
      return;
    }
    if (message.type === "stream-end") this.#finish(undefined, message.result);
    else this.#finish({ error: deserializeError(message.error) }, undefined);
  };

  readonly #onClose = (): void => {
    this.#finish({ error: new ChannelClosedError("The port closed before the stream ended") }, undefined);
  };

  #finish(failure: { error: unknown } | undefined, result: Result | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#port.off("message", this.#onMessage);
    this.#port.off("close", this.#onClose);
    if (failure === undefined) this.#settleResult.resolve(result as Result);
    else {
      this.#failure = failure;
      this.#settleResult.reject(failure.error);
    }
    const waiter = this.#takeWaiter();
    if (waiter === undefined) return;
    if (failure === undefined) waiter.resolve({ done: true, value: undefined });
    else waiter.reject(failure.error);
  }

  #takeWaiter(): Waiter<Event> | undefined {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    return waiter;
  }

  #post(message: ReceiverMessage): void {
    this.#port.postMessage(message);
  }
}
