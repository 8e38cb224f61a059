/**
 * Row 13: the engine binaries side by side: node-llama-cpp's prebuilt CPU binary against
 * the one `mullama engine build` makes here (OpenMP, native CPU flags), at fixed thread
 * counts, decode and prompt, idle. Each measurement runs in a fresh child process (two
 * binaries cannot share one), binaries alternating. Skipped without a local build.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { nodeLlamaCppVersion } from "../../src/engine/engineVersion.ts";
import { readLocalEngineRecord } from "../../src/engine/localEngine/engineRecord.ts";
import { runChildJobs, type ChildJobResult } from "../../src/engine/probe/childJobs.ts";
import type { EngineMeasureInput, EngineMeasureOutput } from "../engineChild.ts";
import { table } from "../markdown.ts";
import type { BenchmarkSection } from "../section.ts";
import { formatSpread, pairedRatios, spread } from "../stats.ts";

const childScript = fileURLToPath(new URL("../engineChild.ts", import.meta.url));

async function measureInChild(input: EngineMeasureInput): Promise<EngineMeasureOutput> {
  const [result] = (await runChildJobs({ script: childScript, jobs: [{ id: "measure", input }], timeoutMs: 180_000 })) as [ChildJobResult];
  if (result.status !== "finished") throw new Error(`the ${input.kind} engine's measurement ${result.status}: ${result.log.slice(-300)}`);
  return result.output as EngineMeasureOutput;
}

export const engineSection: BenchmarkSection = {
  name: "engine",
  async run(run) {
    const record = readLocalEngineRecord();
    if (record === undefined || record.nodeLlamaCpp !== nodeLlamaCppVersion()) {
      return { markdown: '## 13. Engine binaries\n\nNot measured: no local build here (`mullama engine build` makes one).', summary: [] };
    }
    const model = run.randomModels[0]!;
    const threadCounts = [1, 2, 4].filter((threads) => threads <= availableParallelism());
    const sizes = run.quick ? { decodeTokens: 32, promptTokens: 256 } : { decodeTokens: 64, promptTokens: 512 };
    const rows: string[][] = [];
    const summary = [];
    for (const threads of threadCounts) {
      const results = { prebuilt: [] as EngineMeasureOutput[], local: [] as EngineMeasureOutput[] };
      for (let repeat = 0; repeat < run.repeats; repeat += 1) {
        const order = repeat % 2 === 0 ? (["prebuilt", "local"] as const) : (["local", "prebuilt"] as const);
        for (const kind of order) results[kind].push(await measureInChild({ kind, modelPath: model.path, threads, ...sizes }));
      }
      for (const workload of ["decode", "prompt"] as const) {
        const prebuilt = results.prebuilt.map((result) => result[workload]);
        const local = results.local.map((result) => result[workload]);
        const ratio = pairedRatios(local, prebuilt);
        rows.push([`${workload}${workload === "prompt" ? ` (${sizes.promptTokens})` : ` (${sizes.decodeTokens})`}`, String(threads), formatSpread(spread(prebuilt)), formatSpread(spread(local)), formatSpread(ratio, 2)]);
        summary.push({ row: `13. Engine built here / prebuilt, ${workload}, ${threads} thread(s), ${model.label}`, result: ratio.median.toFixed(2), target: "reported", met: undefined });
      }
    }
    const markdown = [
      "## 13. Engine binaries: prebuilt against built here",
      "",
      `Raw engine, ${model.label}, tokens/s, median (min-max) over ${run.repeats} repeats, each in a fresh child process, binaries alternating. ` +
        `"built here": \`mullama engine build\` (${Object.entries(record.cmakeOptions).map(([name, value]) => `${name}=${value}`).join(", ")}), built ${record.builtAt.slice(0, 10)}.`,
      "",
      table(["workload", "threads", "prebuilt", "built here", "built here / prebuilt"], rows),
    ].join("\n");
    return { markdown, summary };
  },
};
