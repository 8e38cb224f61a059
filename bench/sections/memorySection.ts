/** Row 6: resident memory after load and per extra sequence, with memory mapping on and off. */
import { megabytes, table } from "../markdown.ts";
import { benchmarkMemory, type MemoryResult } from "../memory.ts";
import type { BenchmarkSection } from "../section.ts";

const sequenceCounts = [1, 2, 4];
const contextSize = 1024;

/** Bytes above the engine alone, split into anonymous and file-backed (mapped weights) pages. */
function above(result: MemoryResult, sample: { rss: number; rssFile: number | undefined }): string {
  const total = sample.rss - result.engineLoaded.rss;
  if (sample.rssFile === undefined || result.engineLoaded.rssFile === undefined) return megabytes(total);
  const file = sample.rssFile - result.engineLoaded.rssFile;
  return `${megabytes(total)} (anonymous ${megabytes(total - file)}, file-backed ${megabytes(file)})`;
}

function perExtraSequence(result: MemoryResult): number {
  const first = result.bySequences[0]!;
  const last = result.bySequences.at(-1)!;
  return (last.afterFirstToken.rss - first.afterFirstToken.rss) / (last.sequences - first.sequences);
}

function rows(result: MemoryResult): string[][] {
  const label = `${result.model.label}, mmap ${result.mmap ? "on" : "off"}`;
  const kv = (sequences: number) => (result.kvBytesPerSequence === undefined ? "" : megabytes(result.kvBytesPerSequence * sequences));
  return [
    [label, `after \`Model.load\` (${result.loadMs.toFixed(0)} ms)`, above(result, result.modelLoaded), megabytes(result.model.fileBytes), ""],
    ...result.bySequences.map((entry) => [label, `${entry.sequences} sequence(s), after the first token`, above(result, entry.afterFirstToken), "", kv(entry.sequences)]),
    ...(result.bySequences.length > 1 ? [[label, "per extra sequence", megabytes(perExtraSequence(result)), "", kv(1)]] : []),
  ];
}

export const memorySection: BenchmarkSection = {
  name: "memory",
  async run(run) {
    const models = run.quick ? run.randomModels.slice(0, 1) : run.randomModels.slice(0, 2);
    const results = models.map((model) => benchmarkMemory(model, contextSize, sequenceCounts));
    // The mmap default: the same model read into memory instead of mapped.
    results.push(benchmarkMemory(models[0]!, contextSize, [1], false));
    const markdown = [
      "## 6. Memory: resident set after load and per extra sequence",
      "",
      `A fresh process per line group; resident memory (RSS) above the same process with the engine started and no model, split into anonymous and file-backed pages. Contexts of ${contextSize} tokens per sequence, 1 thread, ` +
        "each measured after every sequence generated one token, then disposed. Mapped weights count as file-backed pages once touched: the OS shares them with its file cache and can drop them under pressure. " +
        "On CPUs where llama.cpp repacks quantized matrices into its own layout (AMX or AVX repacking, see its `load_tensors` log) those matrices also live in anonymous memory, mapped or not. " +
        "The implied KV cache is 2 (keys, values) x blocks x KV width x context x 2 bytes (F16) per sequence.",
      "",
      table(["model", "stage", "RSS above the engine alone", "model file", "implied KV cache"], results.flatMap(rows)),
    ].join("\n");
    const first = results[0]!;
    return {
      markdown,
      summary: [
        {
          row: `6. Memory, ${first.model.label}: RSS per extra sequence / implied KV cache`,
          result: first.kvBytesPerSequence === undefined ? "n/a" : (perExtraSequence(first) / first.kvBytesPerSequence).toFixed(2),
          target: "reported",
          met: undefined,
        },
      ],
    };
  },
};
