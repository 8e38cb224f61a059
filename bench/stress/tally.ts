/**
 * The count one stress phase keeps: outcomes by kind, texts compared with the sequential
 * baseline, 503s and whether each was clean, times to first piece, and every problem (a
 * failure, a hang, a different text, a 503 outside the protocol) with enough detail to chase it.
 */
import type { Outcome } from "./outcome.ts";
import { specKey, streamedKinds, type RequestSpec } from "./requests.ts";

/** Where a hang-up landed, as the client saw it. */
export type HangUpPoint = "before headers" | "before the first token" | "mid-stream" | "after silence";

/** Problems kept in full per phase; the rest are only counted. */
const problemsKept = 20;

export class PhaseTally {
  readonly name: string;
  requests = 0;
  completed = 0;
  /** Completed answers whose text was compared with the baseline, and those equal to it. */
  compared = 0;
  equal = 0;
  /** Texts different from the baseline, for the judge (nearTie.ts) to tell near-ties from faults after the phase. */
  readonly mismatches: { spec: RequestSpec; text: string; expected: string }[] = [];
  /** Mismatches that took the runner-up at a near-tie, described. */
  readonly nearTies: string[] = [];
  busy = 0;
  busyWithRetryAfter = 0;
  hungUp = 0;
  readonly hangUpPoints: Record<HangUpPoint, number> = { "before headers": 0, "before the first token": 0, "mid-stream": 0, "after silence": 0 };
  /** Clients whose own request never settled after their planned hang-up (see Outcome). */
  clientsStuck = 0;
  /** Hang-ups planned too late: the answer was complete first. */
  finishedBeforeHangUp = 0;
  failures = 0;
  hangs = 0;
  unequal = 0;
  uncleanBusy = 0;
  readonly problems: string[] = [];
  readonly firstPieceMs: number[] = [];
  /** The largest answer a silent reader read once its silence ended, in bytes. */
  silentReaderBytes = 0;
  /** Sequences busy when the silent readers' silence ended (readers phase only). */
  busyAtSilenceEnd: number | undefined;
  /** From the last client's end to an idle server; undefined when it never got idle. */
  idleMs: number | undefined;
  wallMs = 0;

  constructor(name: string) {
    this.name = name;
  }

  /**
   * Counts one outcome. `expected` is the baseline text for a request that was meant to
   * complete; `hangUpPlanned` marks a request meant to be cut short.
   */
  record(spec: RequestSpec, outcome: Outcome, options: { expected?: string | undefined; hangUpPlanned?: boolean; silent?: boolean } = {}): void {
    this.requests++;
    switch (outcome.kind) {
      case "completed":
        this.completed++;
        // Time to first token means something only for answers that stream.
        if (outcome.firstPieceMs !== undefined && streamedKinds.includes(spec.kind) && !options.hangUpPlanned) this.firstPieceMs.push(outcome.firstPieceMs);
        if (options.hangUpPlanned) this.finishedBeforeHangUp++;
        this.silentReaderBytes = Math.max(this.silentReaderBytes, outcome.bytesAfterSilence ?? 0);
        if (options.expected !== undefined) {
          this.compared++;
          if (outcome.text === options.expected) this.equal++;
          else this.mismatches.push({ spec, text: outcome.text, expected: options.expected });
        }
        return;
      case "busy":
        this.busy++;
        if (outcome.retryAfterSeconds !== undefined) this.busyWithRetryAfter++;
        if (!outcome.clean) {
          this.uncleanBusy++;
          this.#problem(`a 503 outside the protocol or without Retry-After (${spec.kind}): ${outcome.detail}`);
        }
        return;
      case "hung-up":
        this.hungUp++;
        if (outcome.clientStuck) this.clientsStuck++;
        this.hangUpPoints[options.silent ? "after silence" : !outcome.headers ? "before headers" : outcome.pieces === 0 ? "before the first token" : "mid-stream"]++;
        return;
      case "failed":
        this.failures++;
        this.#problem(`failed (${specKey(spec)}): ${outcome.detail}`);
        return;
      case "timed-out":
        this.hangs++;
        this.#problem(`hang (${specKey(spec)}): ${outcome.detail}`);
        return;
    }
  }

  /** A text that left the baseline's greedy path elsewhere than at a near-tie: a fault. */
  different(spec: RequestSpec, detail: string): void {
    this.unequal++;
    this.#problem(`text differs from the sequential one (${specKey(spec)}): ${detail}`);
  }

  /** A problem outside any one request (the server not getting idle). */
  fault(detail: string): void {
    this.failures++;
    this.#problem(detail);
  }

  get problemCount(): number {
    return this.failures + this.hangs + this.unequal + this.uncleanBusy;
  }

  #problem(detail: string): void {
    if (this.problems.length < problemsKept) this.problems.push(`${this.name}: ${detail}`);
  }
}

/** The value below which `fraction` of the values fall (nearest rank); NaN for none. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}
