/**
 * Everything before the first generated token: lease a sequence (from whoever owns them,
 * the context's pool), keep the part of the prompt its cache already holds (prefix reuse),
 * and evaluate the rest in chunks so that an abort lands between chunks instead of after
 * the whole prompt (a decode in flight cannot be interrupted).
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { GenerationTally } from "./tally.js";

/** A sequence leased for one generation. */
export interface SequenceLease {
  readonly sequence: LlamaContextSequence;
  /** Returns the sequence to its owner. Safe to call twice. */
  release(): void;
}

export interface PrefillRequest {
  /**
   * Leases a sequence for the prompt, preferably one whose cache starts with it. Rejects
   * when `signal` fires while waiting, or when no sequence can be had.
   */
  acquire(signal: AbortSignal): Promise<SequenceLease>;
  promptTokens: readonly number[];
  /** The prompt is fed in chunks of this many tokens. */
  batchSize: number;
  /** Fires on the caller's signal or on the context's disposal. */
  signal: AbortSignal;
  /** Told the prompt tokens evaluated so far, after each chunk. */
  onPromptProgress?: ((evaluatedTokens: number, promptTokens: number) => void) | undefined;
  /**
   * Runs work that takes the engine context's lock (erasing the leased sequence's cache)
   * without waiting for the other generations to end. Defaults to running it as it is.
   */
  withContextLock?: (<T>(work: () => Promise<T>) => Promise<T>) | undefined;
}

/** A leased sequence holding the whole prompt but `lastChunk`, which the first decode evaluates (it needs the last token's logits). */
export interface Prefilled {
  lease: SequenceLease;
  lastChunk: number[];
}

/** Resolves undefined when the signal fired first; nothing is held then. */
export async function prefill(request: PrefillRequest, tally: GenerationTally): Promise<Prefilled | undefined> {
  const { signal } = request;
  if (signal.aborted) return undefined;
  let lease: SequenceLease;
  try {
    lease = await request.acquire(signal);
  } catch (error) {
    if (signal.aborted) return undefined;
    throw error;
  }
  tally.acquiredAt = performance.now();
  try {
    const remaining = await reuseCachedPrefix(lease.sequence, request.promptTokens, tally, request.withContextLock ?? ((work) => work()));
    const progress = request.onPromptProgress;
    const total = request.promptTokens.length;
    const onChunk = progress === undefined ? undefined : (evaluated: number) => progress(total - remaining.length + evaluated, total);
    const lastChunk = await feedPromptInChunks(lease.sequence, remaining, request.batchSize, signal, onChunk);
    if (lastChunk !== undefined) return { lease, lastChunk };
    lease.release();
    return undefined;
  } catch (error) {
    lease.release();
    throw error;
  }
}

/** Length of the longest common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a[index] === b[index]) index++;
  return index;
}

/**
 * Drops what the sequence holds beyond the longest prefix it shares with the prompt and
 * returns the prompt tokens still to evaluate (always at least one).
 */
async function reuseCachedPrefix(sequence: LlamaContextSequence, promptTokens: readonly number[], tally: GenerationTally, withContextLock: NonNullable<PrefillRequest["withContextLock"]>): Promise<number[]> {
  const cached = sequence.contextTokens;
  const reusable = Math.min(commonPrefixLength(cached, promptTokens), promptTokens.length - 1);
  if (reusable < cached.length) {
    await withContextLock(() => (reusable === 0 ? sequence.clearHistory() : sequence.eraseContextTokenRanges([{ start: reusable, end: sequence.nextTokenIndex }])));
  }
  tally.cachedPromptTokens = reusable;
  return promptTokens.slice(reusable);
}

/** Evaluates all but the last `batchSize` tokens chunk by chunk; returns the final chunk, or undefined when aborted. */
async function feedPromptInChunks(sequence: LlamaContextSequence, tokens: number[], batchSize: number, signal: AbortSignal, onChunk: ((evaluated: number) => void) | undefined): Promise<number[] | undefined> {
  let start = 0;
  while (tokens.length - start > batchSize) {
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(start, start + batchSize) as Token[]);
    start += batchSize;
    if (signal.aborted) return undefined;
    onChunk?.(start);
  }
  return tokens.slice(start);
}
