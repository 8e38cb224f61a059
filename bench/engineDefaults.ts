/**
 * Row 8: the other context defaults, flash attention and batch size, on the raw engine.
 * Each configuration gets a fresh context; configurations alternate within every repeat.
 */
import type { Token } from "node-llama-cpp";
import { loadEngine } from "../src/engine/llama.ts";
import type { BenchmarkModel } from "./models.ts";
import { freshPrompt } from "./prompts.ts";
import { spread, type Spread } from "./stats.ts";

export interface EngineConfiguration {
  flashAttention: boolean;
  batchSize: number;
}

export interface EngineDefaultsRow {
  configuration: EngineConfiguration;
  /** Tokens/s of a fresh long prompt (fed in batches of batchSize). */
  prompt: Spread;
  /** Tokens/s generating right after a short prompt. */
  decodeShort: Spread;
  /** Tokens/s generating right after the long prompt (a deep KV cache). */
  decodeDeep: Spread;
}

export async function benchmarkEngineDefaults(
  benchmarkModel: BenchmarkModel,
  options: { repeats: number; threads: number; promptTokens: number; decodeTokens: number; configurations: readonly EngineConfiguration[] },
): Promise<EngineDefaultsRow[]> {
  const llama = await loadEngine(false);
  const model = await llama.loadModel({ modelPath: benchmarkModel.path, gpuLayers: 0 });
  const samples = options.configurations.map(() => ({ prompt: [] as number[], decodeShort: [] as number[], decodeDeep: [] as number[] }));
  try {
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const order = options.configurations.map((_, index) => index);
      if (repeat % 2 === 1) order.reverse();
      for (const index of order) {
        const { flashAttention, batchSize } = options.configurations[index]!;
        const context = await model.createContext({ contextSize: 2 * options.promptTokens, batchSize, sequences: 1, threads: options.threads, flashAttention });
        try {
          const sequence = context.getSequence();
          const generate = async (prompt: number[]) => {
            const generator = sequence.evaluate(prompt as Token[], { temperature: 0 });
            const started = performance.now();
            await generator.next();
            const promptMs = performance.now() - started;
            const decodeStarted = performance.now();
            for (let token = 0; token < options.decodeTokens; token++) await generator.next();
            const decodeTokensPerSecond = (options.decodeTokens * 1000) / (performance.now() - decodeStarted);
            await generator.return();
            return { promptMs, decodeTokensPerSecond };
          };
          samples[index]!.decodeShort.push((await generate(freshPrompt(16, 32_000))).decodeTokensPerSecond);
          await sequence.clearHistory();
          const long = await generate(freshPrompt(options.promptTokens, 32_000));
          samples[index]!.prompt.push((options.promptTokens * 1000) / long.promptMs);
          samples[index]!.decodeDeep.push(long.decodeTokensPerSecond);
        } finally {
          await context.dispose();
        }
      }
    }
  } finally {
    await model.dispose();
  }
  return options.configurations.map((configuration, index) => ({
    configuration,
    prompt: spread(samples[index]!.prompt),
    decodeShort: spread(samples[index]!.decodeShort),
    decodeDeep: spread(samples[index]!.decodeDeep),
  }));
}
