/**
 * The free and busy sequences of one context. A generation leases a sequence for its
 * whole life; when none is free it waits in line (or fails at once if it asked not to
 * wait). A free sequence keeps the tokens it last evaluated, so a new prompt is given the
 * sequence that already holds the longest prefix of it: only the new part is evaluated.
 *
 * Which sequence also decides how the generations share a decode. With one KV cache
 * stream per sequence, llama.cpp splits a batch into micro-batches of consecutive,
 * rising sequence ids (`split_equal`), and each micro-batch is one more pass over the
 * model's weights: sequences 0, 3 and 6 generating together decode as three passes, 0, 1
 * and 2 as one. So a lease that keeps the busy ids in one run is worth
 * `consecutiveLeaseWorth` prompt tokens of cached prefix: a longer prefix elsewhere still
 * wins (re-evaluating it would cost more than the extra passes of a short answer), a
 * shorter one does not.
 */
import type { LlamaContextSequence } from "node-llama-cpp";
import { DisposedError, SequenceUnavailableError } from "../errors.js";
import { commonPrefixLength, type SequenceLease } from "../generation/prefill.js";

interface Waiter {
  resolve(lease: SequenceLease): void;
  reject(error: unknown): void;
}

/**
 * What keeping the busy sequences' ids consecutive is worth, in prompt tokens of cached
 * prefix. An extra micro-batch costs about one single-token decode for every token the
 * generation makes (a 128-token answer on a CPU: a hundred-odd decodes' worth), while a
 * prompt token re-evaluated in a batch costs a small fraction of one.
 */
export const consecutiveLeaseWorth = 256;

export interface AcquireOptions {
  /** Wait for a free sequence (true) or throw SequenceUnavailableError (false). */
  wait: boolean;
  signal?: AbortSignal | undefined;
}

export class SequencePool {
  readonly #free: LlamaContextSequence[];
  readonly #waiters: Waiter[] = [];
  readonly #size: number;
  /** Each sequence's position in `sequences`: its id in the engine, since a context's sequences are all created first, in id order. */
  readonly #ids: Map<LlamaContextSequence, number>;
  #closed = false;

  constructor(sequences: LlamaContextSequence[]) {
    this.#free = [...sequences];
    this.#size = sequences.length;
    this.#ids = new Map(sequences.map((sequence, index) => [sequence, index]));
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

  /** Leases the free sequence holding the longest prefix of `tokens`, counting a lease next to the busy ones as `consecutiveLeaseWorth` tokens of it. */
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

  /** The free sequence with the best cached prefix, counting a lease that keeps the busy ids in fewer runs as `consecutiveLeaseWorth` tokens of it. */
  #takeBest(tokens: readonly number[]): LlamaContextSequence {
    const busyIds = this.#busyIds();
    let bestIndex = 0;
    let bestScore = -Infinity;
    for (let index = 0; index < this.#free.length; index++) {
      const sequence = this.#free[index]!;
      const score = commonPrefixLength(sequence.contextTokens, tokens) - consecutiveLeaseWorth * runsAdded(busyIds, this.#ids.get(sequence)!);
      // Ties go to the sequence holding the fewest tokens, so longer caches survive.
      const better = score > bestScore || (score === bestScore && sequence.contextTokens.length < this.#free[bestIndex]!.contextTokens.length);
      if (better) {
        bestIndex = index;
        bestScore = score;
      }
    }
    return this.#free.splice(bestIndex, 1)[0]!;
  }

  #busyIds(): Set<number> {
    const free = new Set(this.#free);
    const busy = new Set<number>();
    for (const [sequence, id] of this.#ids) if (!free.has(sequence)) busy.add(id);
    return busy;
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

/**
 * How many runs of consecutive ids leasing `id` adds to `busyIds`: 1 apart from them, 0
 * next to one run, -1 joining two. With nothing busy every lease starts the one run: 0.
 */
export function runsAdded(busyIds: ReadonlySet<number>, id: number): number {
  if (busyIds.size === 0) return 0;
  const below = busyIds.has(id - 1);
  const above = busyIds.has(id + 1);
  return below && above ? -1 : below || above ? 0 : 1;
}
