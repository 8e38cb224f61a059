/**
 * Row 4: tokens/s by thread setting, idle and with one competing busy process, on the
 * raw engine (the wrapper's overhead is rows 1 and 2). Settings: fixed 1, fixed 2 (every
 * core here), the adaptive policy, interleaved repeat by repeat in one process; and the
 * engine's own default in a child process with a deadline, reported beside them.
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { LlamaContextSequence } from "node-llama-cpp";
import { loadEngine } from "../src/engine/llama.ts";
import { installAdaptiveThreads } from "../src/engine/threadPolicy.ts";
import { engineThreadOptions } from "../src/engine/threads.ts";
import { startBusyProcess } from "./busyProcess.ts";
import type { BenchmarkModel } from "./models.ts";
import { spread, type Spread } from "./stats.ts";
import { measureWorkload, workloads, type Workload, type WorkloadSizes } from "./threadWorkloads.ts";

export type Condition = "idle" | "busy";
export type ThreadSettingLabel = string;

export interface ThreadsResult {
  sizes: WorkloadSizes;
  /** Setting label -> condition -> workload -> tokens/s spread. Missing: no result before the deadline. */
  results: Map<ThreadSettingLabel, Record<Condition, Partial<Record<Workload, Spread>>>>;
  /** The engine's own default thread count. */
  engineDefaultThreads: number | undefined;
  /** Wall time the engine default was given per condition, in seconds. */
  engineDeadlineSeconds: number;
}

interface Setting {
  label: string;
  sequences: LlamaContextSequence[];
}

export async function benchmarkThreads(benchmarkModel: BenchmarkModel, options: { repeats: number; sizes: WorkloadSizes; engineDeadlineSeconds: number }): Promise<ThreadsResult> {
  const llama = await loadEngine(false);
  const model = await llama.loadModel({ modelPath: benchmarkModel.path, gpuLayers: 0 });
  const contextParams = { contextSize: 2 * options.sizes.promptTokens, batchSize: options.sizes.promptTokens, sequences: 4, flashAttention: false };
  // Exactly how Context.create builds an adaptive context.
  const adaptive = engineThreadOptions("adaptive", llama.cpuMathCores);
  const fixedCounts = [...new Set([1, 2, availableParallelism()])].filter((threads) => threads <= availableParallelism());
  const settings: Setting[] = [];
  const contexts = [];
  for (const threads of fixedCounts) {
    const context = await model.createContext({ ...contextParams, threads });
    contexts.push(context);
    settings.push({ label: `${threads}`, sequences: Array.from({ length: 4 }, () => context.getSequence()) });
  }
  const adaptiveContext = await model.createContext({ ...contextParams, threads: adaptive.threads });
  contexts.push(adaptiveContext);
  if (!installAdaptiveThreads(adaptiveContext, adaptive.adaptive!)) throw new Error("the adaptive thread policy could not be installed on this engine version");
  settings.push({ label: "adaptive", sequences: Array.from({ length: 4 }, () => adaptiveContext.getSequence()) });

  const results: ThreadsResult["results"] = new Map([...settings.map((setting) => setting.label), "engine default"].map((label) => [label, { idle: {}, busy: {} }]));
  let engineDefaultThreads: number | undefined;
  try {
    for (const condition of ["idle", "busy"] as const) {
      const busy = condition === "busy" ? await startBusyProcess(600) : undefined;
      try {
        const samples = new Map(settings.map((setting) => [setting.label, new Map(workloads.map((workload) => [workload, [] as number[]]))]));
        // Warm-up: first decodes of a context allocate buffers.
        for (const setting of settings) await measureWorkload(setting.sequences, "decode", { ...options.sizes, decodeTokens: 2 });
        for (let repeat = 0; repeat < options.repeats; repeat++) {
          const order = repeat % 2 === 0 ? settings : [...settings].reverse();
          for (const setting of order) {
            for (const workload of workloads) samples.get(setting.label)!.get(workload)!.push(await measureWorkload(setting.sequences, workload, options.sizes));
          }
        }
        for (const setting of settings) {
          const byWorkload = results.get(setting.label)![condition];
          for (const workload of workloads) byWorkload[workload] = spread(samples.get(setting.label)!.get(workload)!);
        }
        const engine = await engineDefault(benchmarkModel.path, options.sizes, options.engineDeadlineSeconds);
        engineDefaultThreads ??= engine.threads;
        const byWorkload = results.get("engine default")![condition];
        for (const [workload, tokensPerSecond] of engine.results) byWorkload[workload] = spread([tokensPerSecond]);
      } finally {
        await busy?.stop();
      }
    }
  } finally {
    for (const context of contexts) await context.dispose();
    await model.dispose();
  }
  return { sizes: options.sizes, results, engineDefaultThreads, engineDeadlineSeconds: options.engineDeadlineSeconds };
}

const probe = fileURLToPath(new URL("./engineDefaultProbe.ts", import.meta.url));

/** Runs the engine-default probe, killing it after `deadlineSeconds`; returns what it finished. */
async function engineDefault(modelPath: string, sizes: WorkloadSizes, deadlineSeconds: number): Promise<{ threads: number | undefined; results: Map<Workload, number> }> {
  const child = spawn(process.execPath, ["--import", "tsx", probe, modelPath, JSON.stringify(sizes)], { stdio: ["ignore", "pipe", "inherit"] });
  const results = new Map<Workload, number>();
  let threads: number | undefined;
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const message = JSON.parse(line) as { threads?: number; workload?: Workload; tokensPerSecond?: number };
      if (message.threads !== undefined) threads = message.threads;
      if (message.workload !== undefined) results.set(message.workload, message.tokensPerSecond!);
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), deadlineSeconds * 1000);
  await new Promise<void>((resolve) => child.once("close", () => resolve()));
  clearTimeout(timer);
  return { threads, results };
}
