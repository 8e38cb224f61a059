/**
 * Several generations of one request (OpenAI's `n` choices) as one part stream: each
 * content part and each choice's own finish come out as they are made, tagged with the
 * choice's index, interleaved in the order they arrive; then one final part with every
 * choice's result. A choice that fails fails them all (the others are closed), so the
 * stream still ends with exactly one final part.
 */
import type { GenerationResult } from "../generation/events.js";
import type { ContentPart, FinishPart } from "../generation/parts.js";
import type { PartOf, PartStream } from "./transport.js";

/** A part of one choice. Its own `finish` comes this way too; the stream's final part follows the last. */
export interface ChoicePart {
  type: "choice";
  index: number;
  part: ContentPart | FinishPart;
}

type Pulled = { index: number; next: IteratorResult<PartOf<ContentPart, GenerationResult>> };

export class ChoiceStreams implements PartStream<ChoicePart, GenerationResult[]> {
  readonly #streams: readonly PartStream[];

  constructor(streams: readonly PartStream[]) {
    this.#streams = streams;
  }

  /** The choices' parts as they come; the final `finish` lists every choice's result by index (and why, when one was aborted). */
  async *parts(): AsyncGenerator<PartOf<ChoicePart, GenerationResult[]>, void, undefined> {
    const iterators = this.#streams.map((stream) => stream.parts()[Symbol.asyncIterator]());
    // One read in flight per choice: a choice is pulled again only after its part went out, so backpressure holds.
    const reading = new Map<number, Promise<Pulled>>();
    const pull = (index: number) => reading.set(index, iterators[index]!.next().then((next) => ({ index, next })));
    iterators.forEach((_, index) => pull(index));
    const results: GenerationResult[] = [];
    let abortReason: unknown;
    try {
      while (reading.size > 0) {
        const { index, next } = await Promise.race(reading.values());
        reading.delete(index);
        if (next.done === true) continue;
        const part = next.value;
        if (part.type === "error") {
          yield part;
          return;
        }
        yield { type: "choice", index, part };
        if (part.type !== "finish") {
          pull(index);
          continue;
        }
        results[index] = part.result;
        if (part.result.stopReason === "abort") abortReason ??= part.abortReason;
      }
      yield { type: "finish", result: results, ...(abortReason === undefined ? {} : { abortReason }) };
    } finally {
      // Left early (a failure, a consumer that went away): the others stop too.
      if (reading.size > 0) await this.close();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#streams.map((stream) => stream.close()));
  }
}
