/**
 * Reads a `text/event-stream` body as events, pulling from the body only when the next
 * event is asked for: a consumer that reads slowly leaves the bytes in the socket, and TCP
 * slows the engine down (backpressure across the network, not a buffer in memory).
 *
 * The parser follows the WHATWG rules a client needs here: lines end in LF, CRLF or CR
 * (even when a CRLF is split across two chunks), `data:` lines join with LF, a blank line
 * dispatches, comments (`:`) are skipped, one leading space after the colon is dropped.
 */

/** One dispatched event. `event` is "message" when the stream named none. */
export interface ReceivedEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export class ServerSentEventParser {
  #buffer = "";
  /** A CR ended the last chunk: a LF starting the next one belongs to it. */
  #afterCarriageReturn = false;
  #data: string[] = [];
  #event = "";
  #id: string | undefined;

  /** Takes decoded text; returns the events it completed, in order. */
  push(text: string): ReceivedEvent[] {
    let chunk = text;
    if (this.#afterCarriageReturn && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.#afterCarriageReturn = chunk.endsWith("\r");
    this.#buffer += chunk;
    const events: ReceivedEvent[] = [];
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? "";
    for (const line of lines) {
      const event = this.#line(line);
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  #line(line: string): ReceivedEvent | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    return undefined;
  }

  #dispatch(): ReceivedEvent | undefined {
    const event = this.#data.length === 0 ? undefined : { event: this.#event || "message", data: this.#data.join("\n"), id: this.#id };
    this.#data = [];
    this.#event = "";
    return event;
  }
}

/**
 * The events of a response body, pulled one read at a time. `waitForChunk` wraps each read
 * (an idle timeout). Returning early cancels the body, which closes the connection.
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  waitForChunk: <T>(read: Promise<T>) => Promise<T> = (read) => read,
): AsyncGenerator<ReceivedEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser();
  try {
    for (;;) {
      const { done, value } = await waitForChunk(reader.read());
      if (done) {
        // A last event without its blank line is dropped, as the format says.
        parser.push(decoder.decode());
        return;
      }
      for (const event of parser.push(decoder.decode(value, { stream: true }))) yield event;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
