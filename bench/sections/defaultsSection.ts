/** Row 8: flash attention and batch size, the context defaults the issue asks to choose from measurements. */
import { benchmarkEngineDefaults } from "../engineDefaults.ts";
import { table } from "../markdown.ts";
import type { BenchmarkSection } from "../section.ts";
import { formatSpread } from "../stats.ts";

export const defaultsSection: BenchmarkSection = {
  name: "defaults",
  async run(run) {
    const model = run.randomModels[0]!;
    const promptTokens = run.quick ? 512 : 1024;
    const decodeTokens = run.quick ? 16 : 32;
    const configurations = [
      { flashAttention: false, batchSize: 512 },
      { flashAttention: true, batchSize: 512 },
      { flashAttention: false, batchSize: 128 },
      { flashAttention: true, batchSize: 128 },
    ];
    const rows = await benchmarkEngineDefaults(model, { repeats: run.repeats, threads: run.threads, promptTokens, decodeTokens, configurations });
    const base = rows[0]!;
    const markdown = [
      "## 8. Flash attention and batch size",
      "",
      `Raw engine, ${model.label}, ${run.threads} thread(s), a fresh context per configuration, configurations alternating; tokens/s, median (min-max) over ${run.repeats} repeats. ` +
        `Prompt: a fresh ${promptTokens}-token prompt fed in batches of the batch size; decode: ${decodeTokens} tokens after a 16-token prompt, and after the long prompt (a KV cache ${promptTokens} tokens deep).`,
      "",
      table(
        ["flash attention", "batch size", `prompt (${promptTokens})`, "decode, short context", `decode, ${promptTokens} deep`, "prompt / first row"],
        rows.map((row) => [
          row.configuration.flashAttention ? "on" : "off",
          String(row.configuration.batchSize),
          formatSpread(row.prompt),
          formatSpread(row.decodeShort),
          formatSpread(row.decodeDeep),
          (row.prompt.median / base.prompt.median).toFixed(2),
        ]),
      ),
    ].join("\n");
    const flash = rows[1]!;
    return {
      markdown,
      summary: [{ row: `8. Flash attention on / off, prompt (${promptTokens}) and short decode`, result: `${(flash.prompt.median / base.prompt.median).toFixed(2)}, ${(flash.decodeShort.median / base.decodeShort.median).toFixed(2)}`, target: "reported", met: undefined }],
    };
  },
};
