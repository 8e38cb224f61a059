/** Row 7: process start to first token, CLI against a minimal raw script. */
import { ratio, table } from "../markdown.ts";
import type { BenchmarkSection } from "../section.ts";
import { formatSpread } from "../stats.ts";
import { benchmarkStartup } from "../startup.ts";

export const startupSection: BenchmarkSection = {
  name: "startup",
  async run(run) {
    const result = await benchmarkStartup({ repeats: run.repeats });
    const markdown = [
      "## 7. Start-up: process start to the first token",
      "",
      `The CLI (\`${result.command}\`, demo model, \`-n 1 -t 0 --threads 1\`) against a minimal raw node-llama-cpp script doing the same, each a fresh process, milliseconds from spawn to the first byte on stdout; ` +
        `a bare \`node -e\` for scale. Median (min-max) over ${run.repeats} runs after one warm-up run each (the model file is in the page cache).`,
      "",
      table(["CLI ms", "raw script ms", "bare node ms", "CLI / raw"], [[formatSpread(result.cli), formatSpread(result.raw), formatSpread(result.bareNode), ratio(result.ratio)]]),
    ].join("\n");
    return { markdown, summary: [{ row: "7. Start-up to first token, CLI / raw script", result: `${result.cli.median.toFixed(0)} ms, ${result.ratio.median.toFixed(2)}x raw`, target: "reported", met: undefined }] };
  },
};
