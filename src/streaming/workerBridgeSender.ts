/**
 * The sending half of the worker bridge (workerBridgeReceiver.ts is the receiving half):
 * carries a token stream across `worker_threads`. The generation runs in one thread and is
 * consumed in another, over a MessagePort (use a fresh `MessageChannel` per stream).
 * Either side can be the worker.
 *
 * Flow control is credit-based: the receiver grants the sender a number of messages and
 * grants more as it consumes them, so at most `window` events are ever in flight and a
 * slow consumer slows the generation. Leaving the receiving loop early sends a cancel
 * that stops the generation in the producing thread; the final result, or the error as
 * `{code, message}` rebuilt into the same error class, crosses back. The port is a sink
 * of the one stream driver (driveStream.ts); the messages are its wire format.
 */
import type { MessagePort } from "node:worker_threads";
import type { DeliveryOutcome } from "./channel.js";
import { driveStream } from "./driveStream.js";
import type { PartOf, PartStream, StreamSink, WireFormat } from "./transport.js";
import { serializeError } from "./workerBridgeErrors.js";
import { isReceiverMessage, type ProducerMessage } from "./workerBridgeMessages.js";

/** What {@link sendStreamToPort} accepts: a TokenStream, or any async iterable, with an optional result. */
export type PortSource<Event> = AsyncIterable<Event> & { result?: PromiseLike<unknown> };

/** One value of any source, as a content part. */
interface ValuePart<Event> {
  type: "value";
  value: Event;
}

type BridgeMessage = ProducerMessage<unknown, unknown>;

const bridgeFormat: WireFormat<BridgeMessage, ValuePart<unknown>, unknown> = {
  format(part) {
    switch (part.type) {
      case "value":
        return { type: "stream-token", event: part.value };
      case "finish":
        return { type: "stream-end", result: part.result };
      case "error":
        return { type: "stream-error", error: serializeError(part.error) };
    }
  },
};

/**
 * Sends `stream` over `port`, one event per credit the receiver grants; the stream is not
 * started until the receiver starts iterating. Ends with the stream's `result` (awaited),
 * or with its error. A cancel from the receiver, or the port closing, stops the stream
 * (for a TokenStream: the generation ends and frees its sequence). Never rejects:
 * resolves to how the delivery ended.
 */
export async function sendStreamToPort<Event>(stream: PortSource<Event>, port: MessagePort): Promise<DeliveryOutcome> {
  const end = await driveStream(valueParts(stream), bridgeFormat, new PortSink(port));
  return end.outcome;
}

/**
 * Sends an error the producing side hit before it had a stream (for example a
 * ContextOverflowError thrown by `context.stream`), so the receiver's iteration rejects
 * with it.
 */
export function sendErrorToPort(error: unknown, port: MessagePort): void {
  port.postMessage(bridgeFormat.format({ type: "error", error }));
}

/** Any async iterable as parts: each value, then its `result` (undefined when it has none, or never started) or its error. */
function valueParts<Event>(source: PortSource<Event>): PartStream<ValuePart<Event>, unknown> {
  let iterator: AsyncIterator<Event> | undefined;
  let closed = false;
  return {
    async *parts(): AsyncGenerator<PartOf<ValuePart<Event>, unknown>> {
      // Closed before it started: it produced nothing, and may never settle its result.
      if (closed) {
        yield { type: "finish", result: undefined };
        return;
      }
      iterator = source[Symbol.asyncIterator]();
      try {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield { type: "value", value: next.value };
        yield { type: "finish", result: await source.result };
      } catch (error) {
        yield { type: "error", error };
      }
    },
    close: async () => {
      closed = true;
      await iterator?.return?.();
    },
  };
}

/**
 * The producer's side of the credits: a write spends one, and waits while none is left;
 * a cancel from the receiver or the port closing is the peer going away.
 */
class PortSink implements StreamSink<BridgeMessage> {
  readonly #port: MessagePort;
  #credits = 0;
  #cancelled = false;
  #wake: (() => void) | undefined;
  #onGone: ((reason: unknown) => void) | undefined;

  constructor(port: MessagePort) {
    this.#port = port;
    port.on("message", this.#onMessage);
    port.on("close", this.#onClose);
  }

  ready(): Promise<void> {
    return this.#creditOrCancel();
  }

  write(message: BridgeMessage): Promise<void> | undefined {
    this.#port.postMessage(message);
    if (message.type !== "stream-token") return undefined;
    this.#credits = Math.max(0, this.#credits - 1);
    return this.#credits > 0 || this.#cancelled ? undefined : this.#creditOrCancel();
  }

  onGone(listener: (reason: unknown) => void): void {
    this.#onGone = listener;
  }

  end(): void {
    this.#port.off("message", this.#onMessage);
    this.#port.off("close", this.#onClose);
  }

  async #creditOrCancel(): Promise<void> {
    while (this.#credits === 0 && !this.#cancelled) await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  readonly #onMessage = (message: unknown): void => {
    if (!isReceiverMessage(message)) return;
    if (message.type === "stream-credit") {
      if (Number.isInteger(message.count) && message.count > 0) this.#credits += message.count;
    } else this.#cancel("The receiver cancelled the stream");
    this.#wakeUp();
  };

  readonly #onClose = (): void => this.#cancel("The port closed");

  #cancel(reason: string): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#wakeUp();
    this.#onGone?.(new Error(reason));
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
