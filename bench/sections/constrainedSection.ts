/**
 * Row 10 (issue 8): tokens/s of JSON-schema-constrained generation against unconstrained
 * generation on the same context, greedy, sides alternating. The grammar masks the
 * vocabulary before every sampling; this row shows what that costs.
 */
import { Context, Model } from "../../src/index.ts";
import { ratio, table } from "../markdown.ts";
import type { BenchmarkModel } from "../models.ts";
import type { BenchmarkSection, SummaryLine } from "../section.ts";
import { formatSpread, interleaved, pairedRatios, spread } from "../stats.ts";

/** Strings with a maxLength: the demo model never writes a closing quote on its own. */
const schema = {
  type: "object",
  properties: { verses: { type: "array", items: { type: "string", maxLength: 48 }, minItems: 6, maxItems: 6 } },
  required: ["verses"],
  additionalProperties: false,
} as const;

export const constrainedSection: BenchmarkSection = {
  name: "constrained",
  async run(run) {
    const models: BenchmarkModel[] = run.quick ? [run.demoModel] : [run.demoModel, run.randomModels[0]!];
    const rows: string[][] = [];
    const summary: SummaryLine[] = [];
    for (const benchmarkModel of models) {
      const model = await Model.load(benchmarkModel.path);
      const context = await Context.create(model, { threads: run.threads, contextSize: 512 });
      const maxTokens = benchmarkModel === run.demoModel ? 160 : 64;
      const measure = (constrained: boolean) => async () => {
        const result = await context.generate("And God said", { temperature: 0, maxTokens, ...(constrained ? { jsonSchema: schema } : {}) });
        if (result.tokenCount < 8) throw new Error(`only ${result.tokenCount} tokens (${result.stopReason})`);
        return result.timings.tokensPerSecond;
      };
      await measure(true)();
      await measure(false)();
      const results = await interleaved(run.repeats, { constrained: measure(true), free: measure(false) });
      const constrainedRatio = pairedRatios(results.constrained, results.free);
      rows.push([benchmarkModel.label, formatSpread(spread(results.free)), formatSpread(spread(results.constrained)), ratio(constrainedRatio)]);
      summary.push({ row: `10. JSON-schema constrained / free decode, ${benchmarkModel.label}`, result: constrainedRatio.median.toFixed(3), target: "reported", met: undefined });
      await context.dispose();
      await model.dispose();
    }
    const markdown = [
      "## 10. Structured output: JSON-schema-constrained generation against free generation",
      "",
      `\`context.generate\` with \`jsonSchema\` (an object holding an array of six strings of at most 48 characters) against the same call without it, greedy, ${run.threads} thread(s), ` +
        `decode tokens/s after the first token (the result's \`timings.tokensPerSecond\`). Median (min-max) over ${run.repeats} repeats, sides alternating; the ratio is taken per repeat pair.`,
      "",
      table(["model", "free tokens/s", "constrained tokens/s", "constrained / free"], rows),
    ].join("\n");
    return { markdown, summary };
  },
};
