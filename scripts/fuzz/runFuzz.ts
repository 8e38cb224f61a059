/**
 * Runs fuzz cases in child processes and tallies how each ended, by kind.
 *
 * Outcomes: "refused" (a ModelLoadError from mullama's own checks), "refused by engine"
 * (a ModelLoadError wrapping the engine's own rejection), "loaded" (loaded and generated),
 * and the three that must never happen: "other error" (anything but a ModelLoadError),
 * "death" (the process ended: an abort, a segfault) and "hang" (no answer within the
 * time limit).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runChildJobs, type ChildJobResult } from "../../src/engine/probe/childJobs.js";
import { describeCrash, engineComplaint } from "../../src/engine/probe/engineCrash.js";
import { buildFuzzCase, fuzzKindNames, loadFuzzBase, type FuzzKind } from "./fuzzCases.js";
import type { FuzzJobInput, FuzzJobOutput } from "./fuzzWorker.js";
import { defaultModelPath } from "../../src/model/defaultModel.js";

export const fuzzOutcomes = ["refused", "refused by engine", "loaded", "other error", "death", "hang"] as const;
export type FuzzOutcome = (typeof fuzzOutcomes)[number];

/** One case that ended badly, with what is needed to rebuild and study it. */
export interface FuzzFailure {
  readonly index: number;
  readonly kind: FuzzKind;
  readonly outcome: FuzzOutcome;
  readonly description: string;
  readonly detail: string;
}

export interface FuzzSummary {
  readonly seed: number;
  readonly count: number;
  readonly counts: ReadonlyMap<FuzzKind, Record<FuzzOutcome, number>>;
  readonly failures: readonly FuzzFailure[];
  /** The first few cases of each kind and outcome ("description -> detail"), to show what each looks like. */
  readonly examples: ReadonlyMap<FuzzKind, ReadonlyMap<FuzzOutcome, readonly string[]>>;
  readonly elapsedMs: number;
}

export interface FuzzRunOptions {
  readonly seed: number;
  readonly count: number;
  /** Index of the first case. Defaults to 0. */
  readonly first?: number;
  /** A case's time limit in milliseconds; longer is a hang. Defaults to 10,000. */
  readonly timeoutMs?: number;
  /** Cases per child process (engine start costs about a second). Defaults to 200. */
  readonly casesPerChild?: number;
  /** Children running at once. Defaults to 1. */
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

const examplesPerOutcome = 3;

const workerScript = fileURLToPath(new URL(`./fuzzWorker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

export async function runFuzz(options: FuzzRunOptions): Promise<FuzzSummary> {
  const started = performance.now();
  const first = options.first ?? 0;
  const directory = await mkdtemp(join(tmpdir(), "mullama-fuzz-"));
  const base = await loadFuzzBase(defaultModelPath);
  const counts = new Map(fuzzKindNames.map((kind) => [kind, Object.fromEntries(fuzzOutcomes.map((outcome) => [outcome, 0])) as Record<FuzzOutcome, number>]));
  const failures: FuzzFailure[] = [];
  const examples = new Map(fuzzKindNames.map((kind) => [kind, new Map<FuzzOutcome, string[]>()]));
  let done = 0;
  const record = (result: ChildJobResult) => {
    const index = Number(result.id);
    const { kind, outcome, detail } = classify(index, result);
    counts.get(kind)![outcome]++;
    const seen = examples.get(kind)!;
    const list = seen.get(outcome) ?? [];
    if (list.length < examplesPerOutcome) seen.set(outcome, [...list, `${buildFuzzCase(base, options.seed, index).file.description} -> ${detail}`]);
    if (outcome === "other error" || outcome === "death" || outcome === "hang") {
      failures.push({ index, kind, outcome, description: buildFuzzCase(base, options.seed, index).file.description, detail });
    }
    options.onProgress?.(++done, options.count);
  };
  try {
    const jobs = Array.from({ length: options.count }, (_, offset) => first + offset).map((index) => ({
      id: String(index),
      input: { seed: options.seed, index, directory } satisfies FuzzJobInput,
    }));
    const concurrency = Math.max(1, options.concurrency ?? 1);
    const shares = Array.from({ length: concurrency }, (_, share) => jobs.filter((_, position) => position % concurrency === share));
    await Promise.all(
      shares.map((share) =>
        runChildJobs({ script: workerScript, jobs: share, timeoutMs: options.timeoutMs ?? 10_000, jobsPerChild: options.casesPerChild ?? 200, onResult: record }),
      ),
    );
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  return { seed: options.seed, count: options.count, counts, examples, failures: failures.sort((a, b) => a.index - b.index), elapsedMs: performance.now() - started };
}

function classify(index: number, result: ChildJobResult): { kind: FuzzKind; outcome: FuzzOutcome; detail: string } {
  const kind = fuzzKindNames[index % fuzzKindNames.length]!;
  if (result.status === "died") {
    return { kind, outcome: "death", detail: describeCrash(result.signal, result.exitCode, result.log) };
  }
  if (result.status === "timed-out") return { kind, outcome: "hang", detail: engineComplaint(result.log) };
  const output = result.output as FuzzJobOutput;
  if (output.outcome === "loaded") return { kind, outcome: "loaded", detail: output.detail };
  if (output.outcome === "error") return { kind, outcome: "other error", detail: output.detail };
  const byEngine = output.detail.startsWith("the engine failed to load it");
  return { kind, outcome: byEngine ? "refused by engine" : "refused", detail: output.detail };
}
