/** Row 4: thread settings, idle and busy; mullama's default against the best setting. */
import { defaultThreadSetting } from "../../src/engine/threads.ts";
import { table } from "../markdown.ts";
import type { BenchmarkSection, SummaryLine } from "../section.ts";
import { formatSpread } from "../stats.ts";
import { benchmarkThreads, type ThreadsResult } from "../threads.ts";
import { workloadLabels, workloads } from "../threadWorkloads.ts";

const idleTarget = 0.9;
const busyTarget = 0.4;

function settingName(label: string, result: ThreadsResult, mullamaDefault: string): string {
  const name = label === "engine default" ? `engine default (${result.engineDefaultThreads ?? "?"} threads)` : label === "adaptive" ? "adaptive policy" : `${label} thread(s)`;
  return label === mullamaDefault ? `**${name}, mullama's default**` : name;
}

export const threadsSection: BenchmarkSection = {
  name: "threads",
  async run(run) {
    const model = run.randomModels[0]!;
    const sizes = run.quick
      ? { decodeTokens: 32, promptTokens: 512, batchSteps: 16, budgetMs: 600 }
      : { decodeTokens: 64, promptTokens: 512, batchSteps: 48, budgetMs: 3000 };
    const result = await benchmarkThreads(model, { repeats: run.repeats, sizes, engineDeadlineSeconds: run.quick ? 8 : 30 });
    const mullamaDefault = String(defaultThreadSetting());
    const cell = (label: string, condition: "idle" | "busy", workload: (typeof workloads)[number]) => {
      const value = result.results.get(label)?.[condition][workload];
      return value === undefined ? `none in ${result.engineDeadlineSeconds} s` : formatSpread(value);
    };
    const rows = [...result.results.keys()].flatMap((label) =>
      (["idle", "busy"] as const).map((condition) => [settingName(label, result, mullamaDefault), condition, ...workloads.map((workload) => cell(label, condition, workload))]),
    );

    // The default against the best setting (idle), and each setting busy against idle.
    const median = (label: string, condition: "idle" | "busy", workload: (typeof workloads)[number]) => result.results.get(label)?.[condition][workload]?.median ?? 0;
    const ratioRows = workloads.map((workload) => {
      const best = Math.max(...[...result.results.keys()].map((label) => median(label, "idle", workload)));
      const bestLabel = [...result.results.keys()].find((label) => median(label, "idle", workload) === best)!;
      return [
        workloadLabels[workload],
        settingName(bestLabel, result, ""),
        (median(mullamaDefault, "idle", workload) / best).toFixed(2),
        ...[...result.results.keys()].map((label) => (median(label, "idle", workload) > 0 ? (median(label, "busy", workload) / median(label, "idle", workload)).toFixed(2) : "n/a")),
      ];
    });
    const worstIdle = Math.min(...ratioRows.map((row) => Number(row[2])));
    const worstBusy = Math.min(...workloads.map((workload) => median(mullamaDefault, "busy", workload) / median(mullamaDefault, "idle", workload)));
    const markdown = [
      "## 4. Threads: fixed counts, the adaptive policy and the engine's default, idle and busy",
      "",
      `Raw engine (the wrapper's cost is rows 1-2), ${model.label}, tokens/s, median (min-max) over ${run.repeats} repeats, settings interleaved. ` +
        `Workloads: one sequence generating ${sizes.decodeTokens} tokens; a fresh ${sizes.promptTokens}-token prompt; four sequences generating ${sizes.batchSteps} steps together (token-by-token work stops after ${sizes.budgetMs / 1000} s). ` +
        `"busy": another process spins one core throughout. The engine's default (\`getLlama()\` and a context without \`threads\`) runs in a child process killed after ${result.engineDeadlineSeconds} s; it is measured once per condition.`,
      "",
      table(["setting", "machine", ...workloads.map((workload) => `${workloadLabels[workload]}${workload === "prompt" ? ` (${sizes.promptTokens})` : ""}`)], rows),
      "",
      `Mullama's default against the best setting when idle (target >= ${idleTarget}), and busy / idle for every setting (target for the default >= ${busyTarget}):`,
      "",
      table(["workload", "best setting idle", "default / best (idle)", ...[...result.results.keys()].map((label) => `busy / idle, ${settingName(label, result, "")}`)], ratioRows),
    ].join("\n");
    const summary: SummaryLine[] = [
      { row: `4. Threads: default (${mullamaDefault}) / best setting, idle, worst workload`, result: worstIdle.toFixed(2), target: `>= ${idleTarget}`, met: worstIdle >= idleTarget },
      { row: `4. Threads: default (${mullamaDefault}) busy / idle, worst workload`, result: worstBusy.toFixed(2), target: `>= ${busyTarget}`, met: worstBusy >= busyTarget },
    ];
    return { markdown, summary };
  },
};
