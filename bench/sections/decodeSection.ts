/** Rows 1 and 2: decode and prompt processing, mullama against the raw engine loop. */
import { benchmarkDecode, benchmarkPrompt, type SpeedRow } from "../decode.ts";
import { ratio, table } from "../markdown.ts";
import type { BenchmarkSection, SummaryLine } from "../section.ts";
import { formatSpread } from "../stats.ts";

const target = 0.98;

function speedTable(rows: readonly SpeedRow[]): string {
  return table(
    ["model", "file", "raw `sequence.evaluate` tokens/s", "`generateStreaming` tokens/s", "ratio"],
    rows.map((row) => [row.model.label, `${(row.model.fileBytes / 1e6).toFixed(0)} MB`, formatSpread(row.raw), formatSpread(row.mullama), ratio(row.ratio)]),
  );
}

function summaryLine(name: string, row: SpeedRow): SummaryLine {
  return { row: `${name}, ${row.model.label}`, result: row.ratio.median.toFixed(3), target: `>= ${target}`, met: row.ratio.median >= target };
}

export const decodeSection: BenchmarkSection = {
  name: "decode",
  async run(run) {
    const tokens = run.quick ? 24 : 128;
    const demoTokens = 200;
    const demoGenerations = run.quick ? 4 : 10;
    const rows: SpeedRow[] = [await benchmarkDecode(run.demoModel, { repeats: run.repeats, tokens: demoTokens, generationsPerRepeat: demoGenerations, threads: run.threads, demoPrompt: "And God said" })];
    for (const model of run.randomModels) rows.push(await benchmarkDecode(model, { repeats: run.repeats, tokens, generationsPerRepeat: 1, threads: run.threads, demoPrompt: "" }));
    run.shared.set("decode", rows);
    const markdown = [
      "## 1. Decode: `generateStreaming` against a raw `sequence.evaluate` loop",
      "",
      `Greedy, ${run.threads} thread(s) on both sides, after a short prompt; per repeat, ${demoGenerations} generations of ${demoTokens} tokens pooled (demo model) or one of ${tokens} tokens (random models). ` +
        "Tokens/s from the first token delivered to the last, timed where the consumer sees them; every token detokenized on both sides, and both sides must produce the same text. " +
        `Median (min-max) over ${run.repeats} repeats, sides alternating; the ratio is taken per repeat pair. Target: ratio >= ${target}.`,
      "",
      speedTable(rows),
    ].join("\n");
    return { markdown, summary: rows.map((row) => summaryLine("1. Decode vs raw", row)) };
  },
};

export const promptSection: BenchmarkSection = {
  name: "prompt",
  async run(run) {
    const promptTokens = 512;
    const model = run.randomModels[0]!;
    const row = await benchmarkPrompt(model, { repeats: run.repeats, promptTokens, threads: run.threads });
    const markdown = [
      "## 2. Prompt processing: 512-token prompt against raw",
      "",
      `A fresh ${promptTokens}-token prompt each repeat (no cached prefix on either side), ${run.threads} thread(s), batch 512: prompt tokens/s from the call to the first generated token. ` +
        `Median (min-max) over ${run.repeats} repeats. Target: ratio >= ${target}.`,
      "",
      speedTable([row]),
    ].join("\n");
    return { markdown, summary: [summaryLine("2. Prompt (512) vs raw", row)] };
  },
};
