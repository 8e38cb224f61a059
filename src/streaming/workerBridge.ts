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
import type { DeliveryOutcome } from "./channel.js";
import { serializeError } from "./errorTransfer.js";
import { isReceiverMessage, type ProducerMessage } from "./portProtocol.js";

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
