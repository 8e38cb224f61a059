/**
 * A native SSE stream that outlives its connection: the stream driver's sink for
 * `POST /generate`. Every event (each with its id) is kept in a bounded buffer and passed
 * to whichever response is attached; when that response goes away the generation does not
 * stop: it goes on into the buffer, and `GET /generate/<id>` attaches a new response that
 * gets every event after its `Last-Event-ID`, then the live ones, nothing lost or repeated.
 *
 * The buffer is bounded: while attached, events the client has been sent are dropped
 * oldest first beyond the limit; while detached, a full buffer pauses the generation (the
 * driver waits on the write) until a client attaches or the stream is cancelled. The
 * registry (resumableStreams.ts) cancels a stream left detached past its window.
 */
import type { StreamSink } from "../streaming/transport.js";
import type { StreamingResponse } from "./streamingResponse.js";

/** What a stream needs of the response it writes to (a StreamingResponse is one). */
export type AttachedResponse = Pick<StreamingResponse, "write" | "end" | "onGone">;

/** One chunk of the stream: an event with its id, or a chunk without one (the opening, a keep-alive) that is never buffered. */
export interface ResumableChunk {
  eventId?: number;
  text: string;
}

export interface ResumableStreamSettings {
  id: string;
  /** Digest of the API key that started it: only the same key may resume it. */
  owner: string;
  /** Most bytes of events kept for a resume. */
  maxBufferBytes: number;
  /** Told when no response is left attached: its client went away, or got everything (a resume may still come). */
  onIdle: (stream: ResumableStream) => void;
}

export class ResumableStream implements StreamSink<ResumableChunk> {
  readonly id: string;
  readonly owner: string;
  /** When the stream last had no response attached; undefined while one is attached. */
  idleSince: number | undefined;
  readonly #settings: ResumableStreamSettings;
  readonly #events: { id: number; text: string }[] = [];
  #bufferedBytes = 0;
  #response: AttachedResponse | undefined;
  #ended = false;
  #cancel: ((reason: unknown) => void) | undefined;
  #resumeWaiters: (() => void)[] = [];

  constructor(settings: ResumableStreamSettings) {
    this.id = settings.id;
    this.owner = settings.owner;
    this.#settings = settings;
  }

  /** Whether the generation has ended (its final event is in the buffer). */
  get ended(): boolean {
    return this.#ended;
  }

  /** The oldest event id a resume can still start after, minus one; -1 when everything is kept. */
  get oldestResumableId(): number {
    return (this.#events[0]?.id ?? 0) - 1;
  }

  /**
   * Sends the events after `afterEventId` (all of them when undefined) to `response`, then
   * the live ones. A response already attached is ended: the newest client wins.
   */
  attach(response: AttachedResponse, afterEventId: number | undefined): void {
    const previous = this.#response;
    this.#response = response;
    this.idleSince = undefined;
    previous?.end();
    for (const event of this.#events) if (afterEventId === undefined || event.id > afterEventId) response.write(event.text);
    response.onGone(() => this.#detach(response));
    for (const waiter of this.#resumeWaiters.splice(0)) waiter();
    if (this.#ended) this.#finish();
  }

  write(chunk: ResumableChunk): Promise<void> | undefined {
    if (chunk.eventId !== undefined) {
      this.#events.push({ id: chunk.eventId, text: chunk.text });
      this.#bufferedBytes += chunk.text.length;
    }
    const response = this.#response;
    if (response === undefined) {
      if (this.#bufferedBytes <= this.#settings.maxBufferBytes) return undefined;
      return new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
    }
    const pending = response.write(chunk.text);
    this.#trim();
    return pending;
  }

  /** The driver's hook: called only when the stream is cancelled (window over, DELETE, evicted, shutdown), not when a client leaves. */
  onGone(listener: (reason: unknown) => void): void {
    this.#cancel = listener;
  }

  /** Cancels the generation; its final event still goes to the buffer. */
  cancel(reason: unknown): void {
    for (const waiter of this.#resumeWaiters.splice(0)) waiter();
    this.#cancel?.(reason);
  }

  end(): void {
    this.#ended = true;
    for (const waiter of this.#resumeWaiters.splice(0)) waiter();
    this.#finish();
  }

  /**
   * Everything was written to the attached client: its response ends. The stream stays
   * resumable for a while all the same, since the connection may have dropped before the
   * last bytes arrived.
   */
  #finish(): void {
    const response = this.#response;
    if (response === undefined) return;
    response.end();
    this.#detach(response);
  }

  #detach(response: AttachedResponse): void {
    if (this.#response !== response) return;
    this.#response = undefined;
    this.idleSince = performance.now();
    this.#settings.onIdle(this);
  }

  /** Drops events beyond the limit, oldest first; they were written to the attached client. */
  #trim(): void {
    while (this.#bufferedBytes > this.#settings.maxBufferBytes && this.#events.length > 1) {
      this.#bufferedBytes -= this.#events.shift()!.text.length;
    }
  }
}
