/** `mullama bench`: how fast a model reads prompts and writes tokens on this machine. */
import { availableParallelism } from "node:os";
import { Context } from "../../context/Context.js";
import { loadEngine } from "../../engine/llama.js";
import { adaptiveThreadSettings, type ThreadSetting } from "../../engine/threads.js";
import { defineCommand } from "../command.js";
import { integerFlag } from "../flags.js";
import { formatBytes, formatCount } from "../format.js";
import { cappedContextSize, loadModelOption, modelOptionNames } from "../modelOption.js";
import { pickOptions } from "../options.js";
import { checkSpeed, type SpeedReport } from "../speedCheck.js";
import { StatusLine } from "../statusLine.js";

export const benchCommand = defineCommand({
  name: "bench",
  arguments: "",
  description: `Measures a model on this machine: prompt tokens read per second and tokens generated
per second, through the same path as every API, after a warm-up run. A few seconds on a
small model; a rough guide, not a benchmark suite (npm run bench is that).`,
  options: {
    ...pickOptions(...modelOptionNames, "threads", "context-size"),
    "prompt-tokens": { type: "string", short: "p", value: "<n>", help: "prompt tokens per run (default: 256, fewer if the context is smaller)" },
    "max-tokens": { type: "string", short: "n", value: "<n>", help: "most tokens generated per run (default: 64)" },
    repetitions: { type: "string", short: "r", value: "<n>", help: "measured runs (default: 3)" },
    json: { type: "boolean", help: "the model, threads and speeds as one JSON object" },
  },
  async run(values) {
    const promptTokens = integerFlag("prompt-tokens", values["prompt-tokens"]) ?? 256;
    const generatedTokens = integerFlag("max-tokens", values["max-tokens"]) ?? 64;
    const repetitions = integerFlag("repetitions", values.repetitions, { max: 10 }) ?? 3;
    const threads = integerFlag("threads", values.threads);
    const requestedContextSize = integerFlag("context-size", values["context-size"]);

    const loadStarted = performance.now();
    const loaded = await loadModelOption(values);
    await using model = loaded.model;
    const contextSize = cappedContextSize(requestedContextSize, model.metadata.trainContextSize);
    await using context = await Context.create(model, { ...(contextSize === undefined ? {} : { contextSize }), ...(threads === undefined ? {} : { threads }) });
    const loadMs = performance.now() - loadStarted;

    const status = new StatusLine();
    const speed = await checkSpeed(context, { promptTokens, generatedTokens, repetitions, onRun: (run) => status.draw(`measuring: run ${run}`) });
    status.clear();
    const threadCounts = await threadsUsed(context.threads, values.gpu === true);
    const { metadata } = model;
    if (values.json) {
      const report = {
        model: loaded.name,
        parameters: metadata.parameterCount,
        quantization: metadata.quantization,
        sizeBytes: metadata.sizeBytes,
        contextSize: context.contextSize,
        threads: { setting: context.threads, ...threadCounts, logicalCores: availableParallelism() },
        loadMs,
        ...speed,
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const facts = [`${formatCount(metadata.parameterCount)} parameters`, metadata.quantization, formatBytes(metadata.sizeBytes)].filter(Boolean).join(", ");
    const rows: [string, string][] = [
      ["model", `${loaded.displayName} (${facts})`],
      ["threads", describeThreads(context.threads, threadCounts)],
      ["load", `${loadMs.toFixed(0)} ms (engine, model and a ${context.contextSize}-token context)`],
      ...speedRows(speed),
    ];
    process.stdout.write(rows.map(([label, value]) => `${label.padEnd(10)}${value}`).join("\n") + "\n");
    return 0;
  },
});

/** Threads for prompts (many tokens per decode) and for token by token generation. */
async function threadsUsed(setting: ThreadSetting, gpu: boolean): Promise<{ prompt: number; generation: number }> {
  if (setting !== "adaptive") return { prompt: setting, generation: setting };
  const adaptive = adaptiveThreadSettings((await loadEngine(gpu ? "auto" : false)).cpuMathCores);
  return { prompt: adaptive.manyTokenThreads, generation: adaptive.fewTokenThreads };
}

function describeThreads(setting: ThreadSetting, counts: { prompt: number; generation: number }): string {
  const cores = `${availableParallelism()} logical cores`;
  if (setting !== "adaptive") return `${setting} (fixed with --threads; ${cores})`;
  return `adaptive: up to ${counts.prompt} for prompts, ${counts.generation} for generation, fewer when other work keeps cores busy (${cores})`;
}

function speedRows(speed: SpeedReport): [string, string][] {
  const rate = (value: number) => `${value.toFixed(1)} tokens/s`;
  return [
    ["prompt", `${rate(speed.prompt.tokensPerSecond)}  (${speed.runs} runs of ${speed.promptTokensPerRun} tokens)`],
    ["generate", `${rate(speed.generation.tokensPerSecond)}  (${speed.generation.tokens} tokens in ${speed.runs} runs)`],
  ];
}
