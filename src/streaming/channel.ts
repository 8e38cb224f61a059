/**
 * A bounded async channel: the TypeScript form of the seed's `mpsc::channel(32)`. Senders
 * wait while it is full, so a slow receiver slows the producer and nothing buffers
 * without bound. `close()` ends it after what is buffered has been received; `fail()`
 * ends it with an error; a receiver that leaves `for await` early closes it and every
 * later (or waiting) `send` rejects with {@link ChannelClosedError}, which is how a
 * producer learns to stop.
 */
import { ChannelClosedError } from "../errors.js";
import { parseArgument, positiveInteger } from "../validation.js";

interface WaitingSender<T> {
  value: T;
  resolve(): void;
  reject(error: unknown): void;
}

interface WaitingReceiver<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
}

/** How a delivery into a channel or across a port ended. */
export type DeliveryOutcome =
  /** The source ended and everything it produced was handed over. */
  | "completed"
  /** The receiving side left first; the source was stopped. */
  | "cancelled"
  /** The source threw; the error was handed to the receiving side. */
  | "failed";

/** Capacity of a channel when none is given, the seed's `mpsc::channel(32)`. */
export const defaultChannelCapacity = 32;

export class Channel<T> implements AsyncIterable<T> {
  /** Most values buffered before `send` waits. */
  readonly capacity: number;
  readonly #buffer: T[] = [];
  readonly #senders: WaitingSender<T>[] = [];
  readonly #receivers: WaitingReceiver<T>[] = [];
  #closed = false;
  /** Set by `fail()`: thrown to receivers once the buffer is drained. */
  #failure: { error: unknown } | undefined;

  /** @param capacity Most values buffered before `send` waits; a positive integer. Defaults to 32. */
  constructor(capacity: number = defaultChannelCapacity) {
    this.capacity = parseArgument(positiveInteger(), capacity, "capacity");
  }

  /** Values buffered and not yet received. */
  get size(): number {
    return this.#buffer.length;
  }

  /** Whether the channel accepts no more values (closed, failed, or left by its receiver). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a value. Resolves once it is buffered or handed to a receiver; while the
   * channel is full it waits (backpressure). Rejects with ChannelClosedError when the
   * channel is closed, or becomes closed while this send waits.
   */
  send(value: T): Promise<void> {
    if (this.#closed) return Promise.reject(new ChannelClosedError("Cannot send: the channel is closed"));
    const receiver = this.#receivers.shift();
    if (receiver !== undefined) {
      // A receiver waits only when the buffer is empty: hand the value over directly.
      receiver.resolve({ done: false, value });
      return Promise.resolve();
    }
    if (this.#buffer.length < this.capacity && this.#senders.length === 0) {
      this.#buffer.push(value);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.#senders.push({ value, resolve, reject }));
  }

  /**
   * Receives the next value, waiting for one if the channel is empty. Rejects with
   * ChannelClosedError once the channel is closed and drained, or with the error given
   * to `fail()`.
   */
  async receive(): Promise<T> {
    const next = await this.#next();
    if (next.done) throw new ChannelClosedError("Cannot receive: the channel is closed and empty");
    return next.value;
  }

  /** Ends the channel: values already sent are still received, then iteration ends. Idempotent. */
  close(): void {
    this.#end(undefined);
  }

  /** Ends the channel with an error: values already sent are still received, then receivers get `error`. */
  fail(error: unknown): void {
    this.#end({ error });
  }

  /** Iterates until the channel is closed; leaving the loop early closes the channel and drops what is buffered. */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => this.#next(),
      return: async () => {
        this.#leave();
        return { done: true, value: undefined };
      },
    };
  }

  #next(): Promise<IteratorResult<T, undefined>> {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift() as T;
      const sender = this.#senders.shift();
      if (sender !== undefined) {
        this.#buffer.push(sender.value);
        sender.resolve();
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure.error);
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.#receivers.push({ resolve, reject }));
  }

  #end(failure: { error: unknown } | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failure = failure;
    // Senders still waiting never got their value in: tell them, so they stop producing.
    for (const sender of this.#senders.splice(0)) sender.reject(new ChannelClosedError("The channel was closed before this value could be sent"));
    // Receivers wait only on an empty buffer, so they are told the end now.
    for (const receiver of this.#receivers.splice(0)) {
      if (failure === undefined) receiver.resolve({ done: true, value: undefined });
      else receiver.reject(failure.error);
    }
  }

  /** The receiver is gone: nobody will read what is buffered. */
  #leave(): void {
    this.#buffer.length = 0;
    this.#failure = undefined;
    this.#end(undefined);
  }
}

/** Options of {@link pipeToChannel}. */
export interface PipeToChannelOptions {
  /**
   * Close the channel when the source ends. Turn it off when several producers share one
   * channel and the last one to finish closes it. A source that throws fails the channel
   * either way, so the receiver always learns of it. Defaults to true.
   */
  close?: boolean;
}

/**
 * Sends everything `source` yields (a TokenStream, or any async iterable) into `channel`,
 * waiting whenever the channel is full. When the receiver leaves the channel, the source
 * is stopped (for a TokenStream: the generation ends and its sequence is freed). A source
 * error fails the channel, so the receiver sees it; this promise never rejects, it
 * resolves to how the delivery ended.
 */
export async function pipeToChannel<T>(source: AsyncIterable<T>, channel: Channel<T>, options: PipeToChannelOptions = {}): Promise<DeliveryOutcome> {
  const closeWhenDone = options.close ?? true;
  try {
    for await (const value of source) {
      // Leaving this loop (the send below rejecting) returns the source's iterator, which
      // stops the generation; that is the whole cancellation path.
      await channel.send(value);
    }
  } catch (error) {
    if (error instanceof ChannelClosedError && channel.closed) return "cancelled";
    channel.fail(error);
    return "failed";
  }
  if (closeWhenDone) channel.close();
  return "completed";
}
