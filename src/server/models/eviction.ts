/**
 * Which loaded models to unload so that another can load: least recently used first, and
 * only idle ones (a model with a request in flight is never evicted). Pure, so the rule
 * is tested on its own.
 */

/** What eviction needs to know of a loaded model. */
export interface EvictionCandidate {
  readonly id: string;
  /** A request is using it (generating, embedding, or holding it). */
  readonly busy: boolean;
  /** When a request last used it, in milliseconds (any monotonic clock). */
  readonly lastUsedAt: number;
  /** Its memory estimate, in bytes. */
  readonly estimatedBytes: number;
}

export interface EvictionNeed {
  /** Models that must go to stay within the limit of loaded models (0 when there is room). */
  readonly slots: number;
  /** Bytes that must be freed beyond what is free now (0 or less when it fits). */
  readonly bytes: number;
}

/**
 * The models to unload, in order, or undefined when even unloading every idle model would
 * not make room (the load is then refused).
 */
export function chooseEvictions(loaded: readonly EvictionCandidate[], need: EvictionNeed): string[] | undefined {
  const idle = loaded.filter((model) => !model.busy).sort((first, second) => first.lastUsedAt - second.lastUsedAt);
  const chosen: string[] = [];
  let freed = 0;
  for (const model of idle) {
    if (chosen.length >= need.slots && freed >= need.bytes) break;
    chosen.push(model.id);
    freed += model.estimatedBytes;
  }
  return chosen.length >= need.slots && freed >= need.bytes ? chosen : undefined;
}
