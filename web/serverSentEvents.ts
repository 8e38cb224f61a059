/**
 * Server-Sent Events read from a fetch body (EventSource cannot POST, nor send an
 * Authorization header). Lines end with LF, CRLF or CR, and a CRLF split across two
 * network chunks is still one line break; `data` lines of one event join with "\n";
 * comments (`: keep-alive`) are skipped; an event cut off by the end of the stream is
 * dropped, as the specification says.
 */

export interface ServerSentEvent {
  /** The `event` field; "message" when absent. */
  event: string;
  data: string;
  id: string | undefined;
}

export class ServerSentEventParser {
  #buffer = "";
  #data: string[] = [];
  #event = "";
  #id: string | undefined;

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): ServerSentEvent[] {
    this.#buffer += text;
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (;;) {
      const lineFeed = this.#buffer.indexOf("\n", start);
      const carriageReturn = this.#buffer.indexOf("\r", start);
      const end = carriageReturn === -1 ? lineFeed : lineFeed === -1 ? carriageReturn : Math.min(lineFeed, carriageReturn);
      if (end === -1) break;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (end === carriageReturn && end === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(start, end);
      start = end + (this.#buffer[end] === "\r" && this.#buffer[end + 1] === "\n" ? 2 : 1);
      const event = this.#line(line);
      if (event !== undefined) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** The stream ended: a line ended by a last CR counts; an event without its blank line does not. */
  end(): ServerSentEvent[] {
    const pending = this.#buffer;
    this.#buffer = "";
    const event = pending.endsWith("\r") ? this.#line(pending.slice(0, -1)) : undefined;
    return event === undefined ? [] : [event];
  }

  #line(line: string): ServerSentEvent | undefined {
    if (line === "") {
      const event = this.#data.length === 0 ? undefined : { event: this.#event || "message", data: this.#data.join("\n"), id: this.#id };
      this.#data = [];
      this.#event = "";
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + (line[colon + 1] === " " ? 2 : 1));
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    return undefined;
  }
}

/** The events of a response body, as they arrive. Leaving the loop early cancels the body. */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* parser.push(decoder.decode());
    yield* parser.end();
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
