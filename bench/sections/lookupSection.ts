/**
 * Row 12 (issue 12): prompt lookup (n-gram speculative decoding) on and off, on a
 * workload that repeats its prompt and on one that does not, same greedy output required.
 */
import { Context, Model } from "../../src/index.ts";
import { ratio, table } from "../markdown.ts";
import type { BenchmarkSection, SummaryLine } from "../section.ts";
import { formatSpread, interleaved, pairedRatios, spread } from "../stats.ts";

const passage = "And God said, Let there be light: and there was light. And God saw the light, that it was good: and God divided the light from the darkness.";
const workloads = [
  { label: "repetitive (the prompt quotes a passage twice, the answer goes on quoting)", prompt: `${passage} ${passage} ${passage.slice(0, 40)}` },
  { label: "not repetitive (a short prompt)", prompt: "In the beginning" },
];

export const lookupSection: BenchmarkSection = {
  name: "lookup",
  async run(run) {
    const model = await Model.load(run.demoModel.path);
    const plain = await Context.create(model, { threads: run.threads, contextSize: 256 });
    const looking = await Context.create(model, { threads: run.threads, contextSize: 256, promptLookup: true });
    const maxTokens = 96;
    const rows: string[][] = [];
    const summary: SummaryLine[] = [];
    for (const workload of workloads) {
      const measure = (context: Context, other: Context) => async () => {
        const result = await context.generate(workload.prompt, { temperature: 0, maxTokens });
        const check = await other.generate(workload.prompt, { temperature: 0, maxTokens });
        if (result.text !== check.text) throw new Error("prompt lookup changed the greedy output");
        return result.timings.tokensPerSecond;
      };
      const results = await interleaved(run.repeats, { on: measure(looking, plain), off: measure(plain, looking) });
      const onRatio = pairedRatios(results.on, results.off);
      rows.push([workload.label, formatSpread(spread(results.off)), formatSpread(spread(results.on)), ratio(onRatio)]);
      summary.push({ row: `12. Prompt lookup on / off, ${workload.label.split(" (")[0]}, ${run.demoModel.label}`, result: onRatio.median.toFixed(3), target: "reported", met: undefined });
    }
    await looking.dispose();
    await plain.dispose();
    await model.dispose();
    const markdown = [
      "## 12. Prompt lookup: n-gram speculative decoding on and off",
      "",
      `${run.demoModel.label}, \`Context.create(model, { promptLookup: true })\` against a context without it, greedy, ${maxTokens} tokens at most, ${run.threads} thread(s); ` +
        `decode tokens/s after the first token (\`timings.tokensPerSecond\`), every run checked to give the same text as the other side. Median (min-max) over ${run.repeats} repeats, sides alternating; the ratio is taken per repeat pair.`,
      "",
      table(["workload", "off tokens/s", "on tokens/s", "on / off"], rows),
    ].join("\n");
    return { markdown, summary };
  },
};
