/**
 * Row 14 (issue 12): where a context's sequence pool puts concurrent generations. llama.cpp
 * decodes sequences whose ids are not consecutive as separate micro-batches, each a pass
 * over the weights, so three generations on sequences 0, 2 and 4 cost three passes per
 * token where 0, 1 and 2 cost one (src/context/sequencePool.ts). The row starts three
 * generations on a context whose earlier traffic left its even sequences emptiest (what
 * an "emptiest first" pool would take) and the same three on a fresh context.
 */
import { Context, Model } from "../../src/index.ts";
import { ratio, table } from "../markdown.ts";
import { promptTokens } from "../peer/peerWorkloads.ts";
import type { BenchmarkSection } from "../section.ts";
import { formatSpread, interleaved, pairedRatios, spread } from "../stats.ts";

const sequences = 8;
const generations = 3;
const maxTokens = 64;

export const placementSection: BenchmarkSection = {
  name: "placement",
  async run(run) {
    const model = await Model.load(run.randomModels[0]!.path);
    const vocabularySize = model.metadata.vocabularySize;
    let seed = 1;
    /** Aggregate tokens/s of `generations` concurrent generations on a new context, after `traffic` ran on it. */
    const measure = (traffic: (context: Context) => Promise<void>) => async () => {
      const context = await Context.create(model, { sequences, contextSize: 256 });
      try {
        await traffic(context);
        const startedAt = performance.now();
        const results = await Promise.all(Array.from({ length: generations }, () => context.generate(promptTokens(seed++, 4, vocabularySize), { temperature: 0, maxTokens })));
        return (results.reduce((sum, result) => sum + result.tokenCount, 0) * 1000) / (performance.now() - startedAt);
      } finally {
        await context.dispose();
      }
    };
    // One request at a time, one per sequence: the even sequences keep 5 tokens, the odd ones 41.
    const earlierTraffic = async (context: Context) => {
      for (let index = 0; index < sequences; index++) await context.generate(promptTokens(1000 + index, index % 2 === 0 ? 4 : 40, vocabularySize), { temperature: 0, maxTokens: 1 });
    };
    const results = await interleaved(run.repeats, { afterTraffic: measure(earlierTraffic), fresh: measure(async () => {}) });
    await model.dispose();
    const placementRatio = pairedRatios(results.afterTraffic, results.fresh);
    const label = run.randomModels[0]!.label;
    const markdown = [
      "## 14. Sequence placement: concurrent generations after earlier traffic",
      "",
      `${label}, a context of ${sequences} sequences at its default threads; ${generations} generations of ${maxTokens} tokens started together, aggregate tokens/s. ` +
        `"after traffic": ${sequences} earlier one-at-a-time requests left the even sequences holding the fewest tokens, where a pool choosing the emptiest sequence would put the three (0, 2, 4: three micro-batches per decode); ` +
        `"fresh": a new context (sequences 0, 1, 2). Median (min-max) over ${run.repeats} repeats, sides alternating, the ratio taken per repeat pair. Target: ratio >= 0.9.`,
      "",
      table(["after traffic, tokens/s", "fresh, tokens/s", "after traffic / fresh"], [[formatSpread(spread(results.afterTraffic)), formatSpread(spread(results.fresh)), ratio(placementRatio)]]),
    ].join("\n");
    return {
      markdown,
      summary: [{ row: `14. Placement: ${generations} generations after traffic / on a fresh context, ${label}`, result: placementRatio.median.toFixed(3), target: ">= 0.9", met: placementRatio.median >= 0.9 }],
    };
  },
};
