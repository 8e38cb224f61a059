/**
 * The free and busy sequences of one context. A generation leases a sequence for its
 * whole life; when none is free it waits in line (or fails at once if it asked not to
 * wait). A free sequence keeps the tokens it last evaluated, so a new prompt is given the
 * sequence that already holds the longest prefix of it: only the new part is evaluated.
 */
import type { LlamaContextSequence } from "node-llama-cpp";
import { DisposedError, SequenceUnavailableError } from "../errors.js";
import { commonPrefixLength, type SequenceLease } from "../generation/prefill.js";

interface Waiter {
  resolve(lease: SequenceLease): void;
  reject(error: unknown): void;
}

export interface AcquireOptions {
  /** Wait for a free sequence (true) or throw SequenceUnavailableError (false). */
  wait: boolean;
  signal?: AbortSignal | undefined;
}

export class SequencePool {
  readonly #free: LlamaContextSequence[];
  readonly #waiters: Waiter[] = [];
  readonly #size: number;
  #closed = false;

  constructor(sequences: LlamaContextSequence[]) {
    this.#free = [...sequences];
    this.#size = sequences.length;
  }

  /** Number of sequences. */
  get size(): number {
    return this.#size;
  }

  /** Sequences leased right now. */
  get busy(): number {
    return this.#size - this.#free.length;
  }

  /** Whether an acquire now would get a sequence at once (one is free and nobody is ahead in line). */
  get hasFreeSequence(): boolean {
    return !this.#closed && this.#free.length > 0 && this.#waiters.length === 0;
  }

  /** Callers waiting for a sequence. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Leases the free sequence holding the longest prefix of `tokens`. */
  acquire(tokens: readonly number[], options: AcquireOptions): Promise<SequenceLease> {
    if (this.#closed) return Promise.reject(new DisposedError("Context"));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (this.#free.length > 0 && this.#waiters.length === 0) {
      return Promise.resolve(this.#lease(this.#takeBest(tokens)));
    }
    if (!options.wait) return Promise.reject(new SequenceUnavailableError());
    return new Promise<SequenceLease>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        reject(options.signal?.reason);
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      waiter.resolve = (lease) => {
        options.signal?.removeEventListener("abort", onAbort);
        resolve(lease);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Rejects every waiter; later acquires fail. Leased sequences are returned as usual. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new DisposedError("Context"));
  }

  /** The tokens each free sequence holds (for tests and metrics). */
  cachedTokenCounts(): number[] {
    return this.#free.map((sequence) => sequence.contextTokens.length);
  }

  #takeBest(tokens: readonly number[]): LlamaContextSequence {
    let bestIndex = 0;
    let bestPrefix = -1;
    for (let index = 0; index < this.#free.length; index++) {
      const sequence = this.#free[index]!;
      const prefix = commonPrefixLength(sequence.contextTokens, tokens);
      // Ties go to the sequence holding the fewest tokens, so longer caches survive.
      const better = prefix > bestPrefix || (prefix === bestPrefix && sequence.contextTokens.length < this.#free[bestIndex]!.contextTokens.length);
      if (better) {
        bestIndex = index;
        bestPrefix = prefix;
      }
    }
    return this.#free.splice(bestIndex, 1)[0]!;
  }

  #lease(sequence: LlamaContextSequence): SequenceLease {
    let released = false;
    return {
      sequence,
      release: () => {
        if (released) return;
        released = true;
        const waiter = this.#waiters.shift();
        if (waiter !== undefined && !this.#closed) waiter.resolve(this.#lease(sequence));
        else this.#free.push(sequence);
      },
    };
  }
}
