/**
 * Buffered streaming: transforms that merge consecutive token events into larger pieces,
 * by count, by time, or by word, for smoother output to a slow display or socket.
 * Nothing is lost or reordered: the pieces' text (and token ids) concatenate to exactly
 * the input's, and the last partial group is flushed when the input ends. Leaving the
 * loop early stops the input (for a TokenStream: the generation).
 */
import type { TokenEvent } from "../generation/events.js";
import { finiteNumber, parseArgument, positiveInteger } from "../validation.js";

/** Several token events merged into one piece. */
export interface TokenGroup extends TokenEvent {
  /** Zero-based number of this group (not of its first event). */
  index: number;
  /** Tokens generated so far, as of the group's last event. */
  tokenCount: number;
  /** Milliseconds since the generation was requested, as of the group's last event. */
  elapsedMs: number;
  /** How many events were merged. */
  eventCount: number;
}

/** Yields a group every `size` events, and the remainder at the end. `size` is validated at once. */
export function bufferByCount(events: AsyncIterable<TokenEvent>, size: number): AsyncGenerator<TokenGroup, void, undefined> {
  const limit = parseArgument(positiveInteger(), size, "size");
  return groupEvents(events, (group) => group.eventCount >= limit);
}

/**
 * Yields what has arrived every `intervalMs` milliseconds (counted from the first event
 * of each group, so no event waits longer than that), and the remainder at the end. No
 * empty groups: while nothing arrives, nothing is yielded. Milliseconds may be fractional.
 */
export function bufferByTime(events: AsyncIterable<TokenEvent>, intervalMs: number): AsyncGenerator<TokenGroup, void, undefined> {
  return groupEventsByTime(events, parseArgument(finiteNumber().positive("must be positive"), intervalMs, "intervalMs"));
}

async function* groupEventsByTime(events: AsyncIterable<TokenEvent>, interval: number): AsyncGenerator<TokenGroup, void, undefined> {
  const iterator = events[Symbol.asyncIterator]();
  const group = new GroupBuilder();
  let deadline: Deadline | undefined;
  // The pull in flight survives a timer firing: it is raced again, never repeated.
  let pending: Promise<IteratorResult<TokenEvent>> | undefined;
  let finished = false;
  try {
    while (true) {
      pending ??= iterator.next();
      const next = deadline === undefined ? await pending : await Promise.race([pending, deadline.reached]);
      if (next === timeUp) {
        deadline = undefined;
        yield group.take();
        continue;
      }
      pending = undefined;
      if (next.done) {
        finished = true;
        break;
      }
      group.add(next.value);
      deadline ??= new Deadline(interval);
    }
    deadline?.cancel();
    deadline = undefined;
    if (!group.empty) yield group.take();
  } catch (error) {
    if (!group.empty) yield group.take();
    throw error;
  } finally {
    deadline?.cancel();
    // A pull still in flight when the consumer leaves is abandoned: its failure has no reader.
    pending?.catch(() => {});
    if (!finished) await iterator.return?.();
  }
}

/** Options of {@link bufferByWord}. */
export interface BufferByWordOptions {
  /** Flush after this many events even without a word boundary (text without spaces, such as Chinese). Defaults to 32. */
  maxEvents?: number;
}

/**
 * Yields whole words: a group ends before an event that starts with whitespace (a new
 * word) and after one that ends with whitespace or punctuation. Tokens are never split,
 * so a token holding several words stays in one group.
 */
export function bufferByWord(events: AsyncIterable<TokenEvent>, options: BufferByWordOptions = {}): AsyncGenerator<TokenGroup, void, undefined> {
  const maxEvents = parseArgument(positiveInteger(), options.maxEvents ?? 32, "options.maxEvents");
  return groupEvents(
    events,
    (group, event) => endsWord.test(event.text) || group.eventCount >= maxEvents,
    (event) => startsWord.test(event.text),
  );
}

const startsWord = /^\s/u;
const endsWord = /[\s\p{P}]$/u;

/**
 * The loop shared by the count and word modes: `startsGroup` flushes before an event,
 * `endsGroup` after it. When the input fails, what was grouped so far is yielded before
 * the error is rethrown, as the unbuffered stream would have delivered it.
 */
async function* groupEvents(
  events: AsyncIterable<TokenEvent>,
  endsGroup: (group: GroupBuilder, event: TokenEvent) => boolean,
  startsGroup: (event: TokenEvent) => boolean = () => false,
): AsyncGenerator<TokenGroup, void, undefined> {
  const group = new GroupBuilder();
  try {
    for await (const event of events) {
      if (startsGroup(event) && !group.empty) yield group.take();
      group.add(event);
      if (endsGroup(group, event)) yield group.take();
    }
  } catch (error) {
    if (!group.empty) yield group.take();
    throw error;
  }
  if (!group.empty) yield group.take();
}

/** Accumulates events into the next group. */
class GroupBuilder {
  #text = "";
  #tokens: number[] = [];
  #last: TokenEvent | undefined;
  #eventCount = 0;
  #groupIndex = 0;

  get empty(): boolean {
    return this.#eventCount === 0;
  }

  get eventCount(): number {
    return this.#eventCount;
  }

  add(event: TokenEvent): void {
    this.#text += event.text;
    this.#tokens.push(...event.tokens);
    this.#last = event;
    this.#eventCount++;
  }

  take(): TokenGroup {
    const group: TokenGroup = {
      text: this.#text,
      tokens: this.#tokens,
      index: this.#groupIndex++,
      tokenCount: this.#last?.tokenCount ?? 0,
      elapsedMs: this.#last?.elapsedMs ?? 0,
      eventCount: this.#eventCount,
    };
    this.#text = "";
    this.#tokens = [];
    this.#last = undefined;
    this.#eventCount = 0;
    return group;
  }
}

const timeUp = Symbol("timeUp");

/** A timer as a promise, cancellable so it never keeps the process alive after the stream ends. */
class Deadline {
  readonly reached: Promise<typeof timeUp>;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(milliseconds: number) {
    this.reached = new Promise((resolve) => (this.#timer = setTimeout(resolve, milliseconds, timeUp)));
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }
}
