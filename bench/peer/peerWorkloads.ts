/**
 * What the peer benchmark measures on one pair of running servers, sides alternating
 * within each repeat: one stream's decode rate, 8 concurrent streams (aggregate rate and
 * p95 time to first token), a fresh ~512-token prompt, and the same prefix again.
 *
 * One 64-token stream is a noisy sample on a small machine (a few slow decodes move it by
 * half), so each repeat's one-stream figure is the median of `oneStreamSamples` streams,
 * and its warm-prefix figure the median of `warmPrefixSamples` requests on the same prefix.
 */
import { streamCompletion } from "./completionClient.ts";
import type { ServerProcess } from "./serverProcess.ts";

export interface PeerWorkloadSettings {
  repeats: number;
  /** Tokens generated per stream. */
  tokens: number;
  /** Concurrent streams of the batched workload (the servers' slots). */
  streams: number;
  /** Tokens of the long prompt. */
  longPromptTokens: number;
  vocabularySize: number;
  /** Which workloads to run; the long-prompt pair is skipped in thread-count-only configurations. */
  workloads: readonly PeerWorkload[];
}

/** Streams per repeat behind each one-stream figure. */
export const oneStreamSamples = 5;
/** Same-prefix requests per repeat behind each warm-prefix figure. */
export const warmPrefixSamples = 3;

export type PeerWorkload = "one-stream" | "streams" | "long-prompt";

/** Per side, one value per repeat. */
export interface SideSeries {
  oneStreamTokensPerSecond: number[];
  streamsAggregateTokensPerSecond: number[];
  streamsFirstTokenP95Ms: number[];
  freshPromptFirstTokenMs: number[];
  warmPrefixFirstTokenMs: number[];
}

function emptySeries(): SideSeries {
  return { oneStreamTokensPerSecond: [], streamsAggregateTokensPerSecond: [], streamsFirstTokenP95Ms: [], freshPromptFirstTokenMs: [], warmPrefixFirstTokenMs: [] };
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** Deterministic token ids past the control tokens, different for each `seed`: no two prompts share a prefix. */
export function promptTokens(seed: number, length: number, vocabularySize: number): number[] {
  let state = (seed * 2654435761 + 12345) >>> 0;
  return Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return 3 + (state % (vocabularySize - 3));
  });
}

/** `prompt` with another last token (the `variant`-th after its own, past the control tokens): only that token needs evaluating again. */
function samePrefixAgain(prompt: readonly number[], variant: number, vocabularySize: number): number[] {
  return [...prompt.slice(0, -1), 3 + ((prompt.at(-1)! + variant) % (vocabularySize - 3))];
}

/** Runs every workload `repeats` times on both servers; `sides[0]` goes first on even repeats. */
export async function measurePair(sides: readonly [ServerProcess, ServerProcess], settings: PeerWorkloadSettings): Promise<[SideSeries, SideSeries]> {
  const results: [SideSeries, SideSeries] = [emptySeries(), emptySeries()];
  const { tokens, streams, vocabularySize } = settings;
  // Warm-up: the first decodes of a server allocate its compute graphs (llama-server's
  // second long prompt took 108 ms for one token, against 11 after), and mullama's request
  // path gets compiled (its first long-prompt requests reached their first decode up to 3 ms
  // later than after a few dozen). Both sides get the same: the batched streams, then a
  // long prompt and the same prefix again, twice.
  for (const side of sides) {
    await Promise.all(Array.from({ length: streams }, (_, index) => streamCompletion(side.url, promptTokens(900 + index, 8, vocabularySize), 4)));
    if (!settings.workloads.includes("long-prompt")) continue;
    for (let round = 0; round < 2; round++) {
      const long = promptTokens(950 + round, settings.longPromptTokens, vocabularySize);
      await streamCompletion(side.url, long, 2);
      await streamCompletion(side.url, samePrefixAgain(long, 1, vocabularySize), 2);
    }
  }
  let seed = 1;
  for (let repeat = 0; repeat < settings.repeats; repeat++) {
    const order = repeat % 2 === 0 ? [0, 1] : [1, 0];
    for (const index of order) {
      const { url } = sides[index]!;
      const series = results[index]!;
      if (settings.workloads.includes("one-stream")) {
        const rates: number[] = [];
        for (let sample = 0; sample < oneStreamSamples; sample++) rates.push((await streamCompletion(url, promptTokens(seed++, 8, vocabularySize), tokens)).decodeTokensPerSecond);
        series.oneStreamTokensPerSecond.push(percentile(rates, 0.5));
      }
      if (settings.workloads.includes("streams")) {
        const startedAt = performance.now();
        const timings = await Promise.all(Array.from({ length: streams }, () => streamCompletion(url, promptTokens(seed++, 8, vocabularySize), tokens, startedAt)));
        const wallMs = performance.now() - startedAt;
        series.streamsAggregateTokensPerSecond.push((timings.reduce((sum, timing) => sum + timing.tokens, 0) * 1000) / wallMs);
        series.streamsFirstTokenP95Ms.push(percentile(timings.map((timing) => timing.firstTokenMs), 0.95));
      }
      if (settings.workloads.includes("long-prompt")) {
        const long = promptTokens(seed++, settings.longPromptTokens, vocabularySize);
        series.freshPromptFirstTokenMs.push((await streamCompletion(url, long, 2)).firstTokenMs);
        const warm: number[] = [];
        for (let sample = 1; sample <= warmPrefixSamples; sample++) warm.push((await streamCompletion(url, samePrefixAgain(long, sample, vocabularySize), 2)).firstTokenMs);
        series.warmPrefixFirstTokenMs.push(percentile(warm, 0.5));
      }
    }
  }
  return results;
}
