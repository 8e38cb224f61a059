/**
 * Finds stop strings in streamed text without ever emitting one.
 *
 * Text that could be the beginning of a stop string is held back; it is released the
 * moment the next text shows it is not, and flushed when generation ends. A stop string
 * spanning several tokens is therefore caught whole, and no text is lost or duplicated.
 */
export interface StopMatch {
  /** Text that is safe to emit now. */
  text: string;
  /** The stop string that was found, when one was; everything after it is discarded. */
  stop?: string;
}

export class StopMatcher {
  readonly #stops: readonly string[];
  #pending = "";

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((stop) => stop.length > 0);
  }

  /** Text currently held back because it might start a stop string. */
  get pending(): string {
    return this.#pending;
  }

  push(text: string): StopMatch {
    if (this.#stops.length === 0) return { text };
    const buffer = this.#pending + text;
    let earliest = -1;
    let found: string | undefined;
    for (const stop of this.#stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (earliest === -1 || at < earliest)) {
        earliest = at;
        found = stop;
      }
    }
    if (found !== undefined) {
      this.#pending = "";
      return { text: buffer.slice(0, earliest), stop: found };
    }
    const held = this.#longestPartialStop(buffer);
    this.#pending = buffer.slice(buffer.length - held);
    return { text: buffer.slice(0, buffer.length - held) };
  }

  /** Releases held-back text at the end of generation. */
  flush(): string {
    const text = this.#pending;
    this.#pending = "";
    return text;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of some stop string. */
  #longestPartialStop(buffer: string): number {
    let longest = 0;
    for (const stop of this.#stops) {
      const limit = Math.min(stop.length - 1, buffer.length);
      for (let length = limit; length > longest; length--) {
        if (buffer.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
