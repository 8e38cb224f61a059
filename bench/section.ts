/**
 * What a benchmark section is: a named step of `npm run bench` that measures, then
 * reports a markdown table and its lines of the summary. Sections run in order and can
 * leave results for later ones (the machine-limit row reads the decode results).
 */
import type { BenchmarkModel } from "./models.ts";

export interface BenchmarkRun {
  quick: boolean;
  /** Repeats per measurement: at least 5, 3 in quick mode. */
  repeats: number;
  /** Fixed thread count of the rows comparing mullama with raw: the adaptive policy's token-by-token count. */
  threads: number;
  demoModel: BenchmarkModel;
  /** Random-weight models, smallest first. */
  randomModels: BenchmarkModel[];
  /** Results sections leave for later sections, by name. */
  shared: Map<string, unknown>;
}

export interface SummaryLine {
  /** The row of the issue, for example "1. Decode vs raw, random Q8_0 (134M)". */
  row: string;
  result: string;
  target: string;
  /** undefined: no target, reported only. */
  met: boolean | undefined;
}

export interface SectionReport {
  /** Markdown, starting with a "## " heading. */
  markdown: string;
  summary: SummaryLine[];
}

export interface BenchmarkSection {
  /** For `--only=name,name`. */
  name: string;
  /** Whether it runs the benchmark models (the random ones are written on first use, about 20 s). Defaults to true. */
  usesModels?: boolean;
  run(run: BenchmarkRun): Promise<SectionReport>;
}
