/**
 * Server-Sent Events encoding (the WHATWG `text/event-stream` format) and the native SSE
 * wire format over it: `token` per piece, then `done` with the stop reason, usage and
 * timings, or `error`. Each event carries an id so a client knows where it is. Transport
 * (HTTP headers, keep-alive, disconnects) is the driver's and the server's job.
 */
import { toErrorInfo } from "../errorPolicy.js";
import { formatParts } from "./driveStream.js";
import type { WireFormat } from "./transport.js";
import type { TokenStream } from "./TokenStream.js";
import { summarizeFinish } from "./usage.js";

export interface ServerSentEvent {
  /** Event type; omitted means the default `message`. */
  event?: string;
  id?: string | number;
  /** Payload; line breaks become several `data:` lines, as the format requires. */
  data: string;
  /** Reconnection delay the client should use, in milliseconds. */
  retry?: number;
}

/** Formats one event, ending with the blank line that dispatches it. */
export function formatServerSentEvent(message: ServerSentEvent): string {
  let out = "";
  if (message.event !== undefined) out += `event: ${singleLine(message.event)}\n`;
  if (message.id !== undefined) out += `id: ${singleLine(String(message.id))}\n`;
  if (message.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(message.retry))}\n`;
  for (const line of message.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + "\n";
}

/** A comment line: ignored by clients, useful as a keep-alive. */
export function formatServerSentComment(text = ""): string {
  return `: ${singleLine(text)}\n\n`;
}

/** Field names and ids must not contain line breaks (nor NUL in ids). */
function singleLine(text: string): string {
  return text.replace(/[\r\n\0]/g, " ");
}

/**
 * The native SSE wire format: `event: token` per text part (`{"text", "index",
 * "tokenCount"}`, and `logprobs` when the options asked for them), then `event: done` (stop reason, usage, timings) or `event: error`
 * (`{"error": {"code", "message"}}`, told by the one error policy: a fault's details stay
 * out). A `done` after an abort that mullama caused (shutdown) says so in `abortReason`.
 * Ids count the events from 0. Make one per stream.
 */
export function serverSentEventFormat(): WireFormat<string> {
  let id = 0;
  return {
    keepAlive: formatServerSentComment("keep-alive"),
    format(part) {
      switch (part.type) {
        case "text":
          return formatServerSentEvent({ event: "token", id: id++, data: JSON.stringify({ text: part.text, index: part.index, tokenCount: part.tokenCount, ...(part.logprobs === undefined ? {} : { logprobs: part.logprobs }) }) });
        case "finish":
          return formatServerSentEvent({ event: "done", id: id++, data: JSON.stringify(summarizeFinish(part)) });
        case "error":
          return formatServerSentEvent({ event: "error", id: id++, data: JSON.stringify({ error: toErrorInfo(part.error) }) });
      }
    },
  };
}

/**
 * Encodes a token stream as SSE text, in {@link serverSentEventFormat}'s events (no
 * keep-alives: they are the transport's job). Leaving early (the consumer stops
 * iterating) stops the generation.
 */
export async function* tokenStreamToServerSentEvents(stream: TokenStream): AsyncGenerator<string, void, undefined> {
  yield* formatParts(stream.parts(), serverSentEventFormat());
}

/** The same events as a Web `ReadableStream` of UTF-8 bytes, ready for `new Response(...)`. */
export function tokenStreamToServerSentEventStream(stream: TokenStream): ReadableStream<Uint8Array> {
  const events = tokenStreamToServerSentEvents(stream);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await events.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await events.return();
      },
    },
    { highWaterMark: 0 },
  );
}
