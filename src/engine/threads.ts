/**
 * The default thread count.
 *
 * llama.cpp's thread pool spin-waits: when its threads outnumber the cores that are
 * actually free, every decode waits for a descheduled thread and speed collapses by
 * orders of magnitude (measured on 2 cores: 132 tokens/s at 1 thread, 50 at 2, under 1 at
 * the engine's default of 4). Decoding one token is bound by memory bandwidth, so a
 * few threads already reach most of the ceiling; leaving cores free keeps the event loop,
 * the HTTP server and the rest of the machine responsive.
 *
 * The rule: half of the logical cores (roughly the physical cores on machines with
 * hyper-threading), minus nothing else, at least 1 and at most 8.
 *   2 cores -> 1 thread, 4 -> 2, 8 -> 4, 16 -> 8, 64 -> 8.
 */
import { availableParallelism } from "node:os";

/** The most threads the default ever picks; more rarely helps decoding. */
export const maxDefaultThreads = 8;

export function defaultThreadCount(logicalCores: number = availableParallelism()): number {
  return Math.max(1, Math.min(maxDefaultThreads, Math.floor(logicalCores / 2)));
}
