/**
 * Token events as the platform's own streams: a Web `ReadableStream` and a Node
 * `Readable`. Both pull one event at a time (the engine decodes only when the reader wants
 * more), and cancelling or destroying them returns the iterator, which stops generation.
 */
import { Readable } from "node:stream";
import type { TokenEvent } from "../generation/events.js";

/** A `ReadableStream` of the events' text. */
export function webReadable(events: AsyncIterator<TokenEvent>): ReadableStream<string> {
  return new ReadableStream<string>(
    {
      async pull(controller) {
        const next = await events.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value.text);
      },
      async cancel() {
        await events.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A `Readable` of UTF-8 text, or of the event objects in `objectMode`. */
export function nodeReadable(events: AsyncIterator<TokenEvent>, objectMode: boolean): Readable {
  return new Readable({
    objectMode,
    highWaterMark: 1,
    encoding: objectMode ? undefined : "utf8",
    async read() {
      try {
        const next = await events.next();
        this.push(next.done ? null : objectMode ? next.value : next.value.text);
      } catch (error) {
        this.destroy(error as Error);
      }
    },
    destroy(error, callback) {
      Promise.resolve(events.return?.()).then(() => callback(error), callback);
    },
  });
}
