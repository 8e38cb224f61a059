/** The messages of the worker bridge (workerBridgeSender.ts sends, workerBridgeReceiver.ts receives). */
import type { SerializedError } from "./workerBridgeErrors.js";

/** Producer to receiver. The `stream-` prefix lets other traffic share the port. */
export type ProducerMessage<Event, Result> =
  | { type: "stream-token"; event: Event }
  | { type: "stream-end"; result: Result }
  | { type: "stream-error"; error: SerializedError };

/** Receiver to producer. */
export type ReceiverMessage = { type: "stream-credit"; count: number } | { type: "stream-cancel" };

export function isReceiverMessage(message: unknown): message is ReceiverMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === "stream-credit" || type === "stream-cancel";
}

export function isProducerMessage<Event, Result>(message: unknown): message is ProducerMessage<Event, Result> {
  const type = (message as { type?: unknown } | null)?.type;
  return type === "stream-token" || type === "stream-end" || type === "stream-error";
}
