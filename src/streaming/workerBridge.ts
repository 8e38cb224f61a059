/**
 * Carries a token stream across `worker_threads`: the generation runs in one thread and
 * is consumed in another, over a MessagePort (use a fresh `MessageChannel` per stream).
 * Either side can be the worker.
 *
 * Flow control is credit-based: the receiver grants the sender a number of messages and
 * grants more as it consumes them, so at most `window` events are ever in flight and a
 * slow consumer slows the generation. Leaving the receiving loop early sends a cancel
 * that stops the generation in the producing thread; the final result, or the error as
 * `{code, message}` rebuilt into the same error class, crosses back.
 */
import type { MessagePort } from "node:worker_threads";
import {
  ChannelClosedError,
  ContextError,
  ContextOverflowError,
  DisposedError,
  GenerationError,
  InvalidArgumentError,
  ModelLoadError,
  MullamaError,
  SequenceUnavailableError,
  TokenizationError,
} from "../errors.js";
import type { GenerationResult, TokenEvent } from "../generation/events.js";
import { parseArgument, positiveInteger } from "../validation.js";
import type { DeliveryOutcome } from "./channel.js";

/** Producer to receiver. The `stream-` prefix lets other traffic share the port. */
type ProducerMessage<Event, Result> =
  | { type: "stream-token"; event: Event }
  | { type: "stream-end"; result: Result }
  | { type: "stream-error"; error: SerializedError };

/** Receiver to producer. */
type ReceiverMessage = { type: "stream-credit"; count: number } | { type: "stream-cancel" };

/** A pending `next()` of the receiving iterator. */
interface Waiter<Event> {
  resolve(result: IteratorResult<Event, undefined>): void;
  reject(error: unknown): void;
}

/** What {@link sendStreamToPort} accepts: a TokenStream, or any async iterable, with an optional result. */
export type PortSource<Event> = AsyncIterable<Event> & { result?: PromiseLike<unknown> };

/**
 * Sends `stream` over `port`, one event per credit the receiver grants; the stream is not
 * started until the receiver starts iterating. Ends with the stream's `result` (awaited),
 * or with its error. A cancel from the receiver, or the port closing, stops the stream
 * (for a TokenStream: the generation ends and frees its sequence). Never rejects:
 * resolves to how the delivery ended.
 */
export async function sendStreamToPort<Event>(stream: PortSource<Event>, port: MessagePort): Promise<DeliveryOutcome> {
  const credits = new CreditGate();
  const onMessage = (message: unknown): void => {
    if (!isReceiverMessage(message)) return;
    if (message.type === "stream-credit") credits.grant(message.count);
    else credits.cancel();
  };
  const onClose = (): void => credits.cancel();
  port.on("message", onMessage);
  port.on("close", onClose);
  const post = (message: ProducerMessage<Event, unknown>): void => port.postMessage(message);
  let iterator: AsyncIterator<Event> | undefined;
  /** The source ran to its end by itself. */
  let completed = false;
  /** The source is over (completed or returned): it must not be returned again. */
  let stopped = false;
  try {
    // Wait for a credit before each pull: the engine decodes only what can be sent.
    while (await credits.take()) {
      iterator ??= stream[Symbol.asyncIterator]();
      const next = await iterator.next();
      if (next.done) {
        completed = true;
        break;
      }
      if (credits.cancelled) break;
      post({ type: "stream-token", event: next.value });
    }
    stopped = true;
    if (!completed) await iterator?.return?.();
    // A stream cancelled before it started has produced nothing, and may never settle its result.
    const result = iterator === undefined ? undefined : await stream.result;
    post({ type: "stream-end", result });
    return completed ? "completed" : "cancelled";
  } catch (error) {
    if (!stopped) await Promise.resolve(iterator?.return?.()).catch(() => {});
    post({ type: "stream-error", error: serializeError(error) });
    return "failed";
  } finally {
    port.off("message", onMessage);
    port.off("close", onClose);
  }
}

/**
 * Sends an error the producing side hit before it had a stream (for example a
 * ContextOverflowError thrown by `context.stream`), so the receiver's iteration rejects
 * with it.
 */
export function sendErrorToPort(error: unknown, port: MessagePort): void {
  port.postMessage({ type: "stream-error", error: serializeError(error) } satisfies ProducerMessage<never, never>);
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
  return new PortStream<Event, Result>(port, window);
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
  constructor(port: MessagePort, window: number) {
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

/**
 * The producer's side of the credits: `take()` waits until a message may be sent, and
 * answers false once the receiver has cancelled.
 */
class CreditGate {
  #credits = 0;
  #cancelled = false;
  #wake: (() => void) | undefined;

  get cancelled(): boolean {
    return this.#cancelled;
  }

  grant(count: number): void {
    if (Number.isInteger(count) && count > 0) this.#credits += count;
    this.#wakeUp();
  }

  cancel(): void {
    this.#cancelled = true;
    this.#wakeUp();
  }

  async take(): Promise<boolean> {
    while (this.#credits === 0 && !this.#cancelled) await new Promise<void>((resolve) => (this.#wake = resolve));
    if (this.#cancelled) return false;
    this.#credits--;
    return true;
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

function isReceiverMessage(message: unknown): message is ReceiverMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === "stream-credit" || type === "stream-cancel";
}

function isProducerMessage<Event, Result>(message: unknown): message is ProducerMessage<Event, Result> {
  const type = (message as { type?: unknown } | null)?.type;
  return type === "stream-token" || type === "stream-end" || type === "stream-error";
}

/**
 * An error as it crosses the port: `{code, message}` plus what is needed to rebuild it as
 * the same class. Errors other than MullamaError get the code `"INTERNAL_ERROR"`; their
 * message is kept, since both threads belong to one process.
 */
interface SerializedError {
  code: string;
  message: string;
  name: string;
  /** The error's own plain fields, for example ContextOverflowError's `contextSize`. */
  details: Record<string, string | number | boolean>;
  /** The stack from the thread that threw. */
  stack: string | undefined;
}

const errorClasses: Record<string, new (...args: never[]) => MullamaError> = {
  MullamaError,
  ModelLoadError,
  ContextError,
  TokenizationError,
  GenerationError,
  ContextOverflowError,
  InvalidArgumentError,
  SequenceUnavailableError,
  DisposedError,
  ChannelClosedError,
};

function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { code: "INTERNAL_ERROR", message: String(error), name: "Error", details: {}, stack: undefined };
  const details: SerializedError["details"] = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === "code" || key === "name") continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") details[key] = value;
  }
  const code = error instanceof MullamaError ? error.code : "INTERNAL_ERROR";
  return { code, message: error.message, name: error.name, details, stack: error.stack };
}

/** Rebuilds a serialized error as an instance of its class (MullamaError when the class is unknown), without rerunning its constructor. */
function deserializeError(serialized: SerializedError): Error {
  const known = Object.hasOwn(errorClasses, serialized.name) ? errorClasses[serialized.name] : undefined;
  const errorClass = known ?? (serialized.code === "INTERNAL_ERROR" ? Error : MullamaError);
  // Constructing Error with the class as new.target gives a real Error with the class's prototype.
  const error = Reflect.construct(Error, [serialized.message], errorClass) as Error & Record<string, unknown>;
  Object.assign(error, serialized.details);
  error.name = serialized.name;
  error.code = serialized.code;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}
