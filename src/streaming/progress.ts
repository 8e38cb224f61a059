/**
 * Progress tracking, the seed's "[N tokens, X t/s] every 50 tokens": a tracker fed with
 * token events, used either as a pass-through over a stream or as a wrapper around a
 * `generateStreaming` callback. Reports come from the events' own counts and times, so
 * they need no clock of their own.
 */
import { z } from "zod";
import type { TokenEvent } from "../generation/events.js";
import { parseArgument, positiveInteger } from "../validation.js";

/** A snapshot of a generation's progress. */
export interface ProgressReport {
  /** Tokens generated so far. */
  tokenCount: number;
  /** Tokens generated per second since the generation was requested (prompt time included, as the seed measures it). */
  tokensPerSecond: number;
  /** Milliseconds since the generation was requested. */
  elapsedMs: number;
}

export interface ProgressOptions {
  /** Report each time the token count reaches a multiple of this. Defaults to 50. */
  every?: number;
  /** Called with each report, before the event that completed it is handed on. */
  onProgress: (report: ProgressReport) => void;
}

/** Tokens between reports when `every` is not given, as in the seed. */
export const defaultProgressInterval = 50;

const progressOptionsSchema = z.strictObject({
  every: positiveInteger().optional(),
  onProgress: z.custom<(report: ProgressReport) => void>((value) => typeof value === "function", { error: "expected a function" }),
});

/** Turns token events into a report every `every` tokens. */
export class ProgressTracker {
  /** Tokens between reports. */
  readonly every: number;
  #lastReportedCount = 0;

  /** @param every Tokens between reports, a positive integer. Defaults to 50. */
  constructor(every: number = defaultProgressInterval) {
    this.every = parseArgument(positiveInteger(), every, "every");
  }

  /**
   * Feeds one event; returns a report when its token count reached the next multiple of
   * `every`. An event can carry several tokens, so a count that jumps over a multiple
   * still reports, once.
   */
  update(event: TokenEvent): ProgressReport | undefined {
    if (Math.floor(event.tokenCount / this.every) <= Math.floor(this.#lastReportedCount / this.every)) return undefined;
    this.#lastReportedCount = event.tokenCount;
    return {
      tokenCount: event.tokenCount,
      tokensPerSecond: event.elapsedMs > 0 ? (event.tokenCount * 1000) / event.elapsedMs : 0,
      elapsedMs: event.elapsedMs,
    };
  }
}

/** Passes every event through unchanged, calling `onProgress` every `every` tokens. Options are validated at once. */
export function trackProgress(events: AsyncIterable<TokenEvent>, options: ProgressOptions): AsyncGenerator<TokenEvent, void, undefined> {
  const { every, onProgress } = parseArgument(progressOptionsSchema, options, "options");
  return reportWhileIterating(events, new ProgressTracker(every), onProgress);
}

async function* reportWhileIterating(
  events: AsyncIterable<TokenEvent>,
  tracker: ProgressTracker,
  onProgress: (report: ProgressReport) => void,
): AsyncGenerator<TokenEvent, void, undefined> {
  for await (const event of events) {
    const report = tracker.update(event);
    if (report !== undefined) onProgress(report);
    yield event;
  }
}

/**
 * Wraps a `generateStreaming` callback so that `onProgress` is called every `every`
 * tokens; what the callback returns (false stops) is passed through.
 */
export function withProgress<Result>(onToken: (text: string, event: TokenEvent) => Result, options: ProgressOptions): (text: string, event: TokenEvent) => Result {
  const { every, onProgress } = parseArgument(progressOptionsSchema, options, "options");
  const tracker = new ProgressTracker(every);
  return (text, event) => {
    const report = tracker.update(event);
    if (report !== undefined) onProgress(report);
    return onToken(text, event);
  };
}
