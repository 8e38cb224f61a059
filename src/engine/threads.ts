/**
 * Thread counts: the fixed default and the settings of the adaptive policy.
 *
 * llama.cpp's thread pool spin-waits: when its threads outnumber the cores that are
 * actually free, every decode waits for a descheduled thread and speed collapses by
 * orders of magnitude (measured on 2 cores: 132 tokens/s at 1 thread, 50 at 2, under 1 at
 * the engine's default of 4). Decoding one token is bound by memory bandwidth, so a
 * few threads already reach most of the ceiling; leaving cores free keeps the event loop,
 * the HTTP server and the rest of the machine responsive.
 *
 * The fixed rule: half of the logical cores (roughly the physical cores on machines with
 * hyper-threading), at least 1 and at most 8.
 *   2 cores -> 1 thread, 4 -> 2, 8 -> 4, 16 -> 8, 64 -> 8.
 *
 * The adaptive policy (threadPolicy.ts) uses every physical core for token by token
 * decoding (at most 8) and for decodes of many tokens (at most 16), within the cores
 * other work leaves free. Its token by token count used to be the fixed rule's, from
 * measurements taken while other processes were busy (the collapse above); on an idle
 * machine that left half the speed unused (2 cores, 134M model: 70 tokens/s against 115
 * at 2 threads), and the free-core limit alone keeps the busy case (78 with a core
 * spinning elsewhere, where a fixed 2 threads fall to 22). docs/PERFORMANCE.md records
 * the measurements behind both.
 */
import { availableParallelism } from "node:os";
import type { AdaptiveThreadSettings } from "./threadPolicy.js";

/** The most threads the default ever picks; more rarely helps decoding. */
export const maxDefaultThreads = 8;

/** The most threads the adaptive policy gives a decode of many tokens. */
export const maxAdaptiveThreads = 16;

/**
 * Decodes of at least this many tokens count as "many" under the adaptive policy: a
 * prompt chunk, or this many sequences generating together.
 */
export const adaptiveManyTokensFrom = 4;

/** A context's thread setting: a fixed count, or "adaptive" (see threadPolicy.ts). */
export type ThreadSetting = number | "adaptive";

/**
 * What a context uses when `threads` is not given: the adaptive policy, which matched or
 * beat every fixed count on every workload measured and kept single-thread speed with a
 * competing busy process (docs/PERFORMANCE.md, docs/BENCHMARKS.md row 4).
 */
export function defaultThreadSetting(): ThreadSetting {
  return "adaptive";
}

/**
 * A thread setting as the engine takes it: the count to create the context with and, for
 * "adaptive", the policy to install on it. An adaptive context starts at the fixed rule's
 * count, so that it keeps a safe fixed count should the policy fail to install.
 */
export function engineThreadOptions(setting: ThreadSetting, mathCores: number, logicalCores: number = availableParallelism()): { threads: number; adaptive?: AdaptiveThreadSettings } {
  if (setting !== "adaptive") return { threads: setting };
  return { threads: defaultThreadCount(logicalCores), adaptive: adaptiveThreadSettings(mathCores, logicalCores) };
}

export function defaultThreadCount(logicalCores: number = availableParallelism()): number {
  return Math.max(1, Math.min(maxDefaultThreads, Math.floor(logicalCores / 2)));
}

/**
 * The adaptive policy's settings for a machine. `mathCores` is the engine's count of
 * cores useful for math (the physical cores: `llama.cpuMathCores`).
 */
export function adaptiveThreadSettings(mathCores: number, logicalCores: number = availableParallelism()): AdaptiveThreadSettings {
  return {
    fewTokenThreads: Math.max(1, Math.min(maxDefaultThreads, mathCores, logicalCores)),
    manyTokenThreads: Math.max(1, Math.min(maxAdaptiveThreads, mathCores, logicalCores)),
    manyTokensFrom: adaptiveManyTokensFrom,
  };
}
