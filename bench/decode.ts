/**
 * Rows 1 and 2: decode and prompt-processing speed of mullama's streaming API against a
 * raw node-llama-cpp loop on the same loaded model (one copy of the weights), each side
 * with its own context, in the same process, interleaved repeat by repeat (drift hits
 * both sides). Both sides: greedy sampling, the same prompt tokens,
 * the same context parameters and thread count, every token detokenized as it arrives,
 * and the same text out (checked: a side that skipped work would differ).
 */
import { Context, Model } from "../src/index.ts";
import { engineModelOf } from "../src/model/Model.ts";
import type { BenchmarkModel } from "./models.ts";
import { mullamaGenerate } from "./mullamaSide.ts";
import { freshPrompt } from "./prompts.ts";
import { openRaw, rawGenerate, type DecodeMeasurement } from "./rawEngine.ts";
import { interleaved, pairedRatios, spread, type Spread } from "./stats.ts";

export interface SpeedRow {
  model: BenchmarkModel;
  raw: Spread;
  mullama: Spread;
  ratio: Spread;
}

export interface DecodeOptions {
  repeats: number;
  /** Tokens generated per generation. */
  tokens: number;
  /** Generations per repeat, pooled (short generations of a tiny model are noisy one by one). */
  generationsPerRepeat: number;
  threads: number;
  /** Prompt of the demo model (text); random models get random token ids. */
  demoPrompt: string;
}

export interface PromptOptions {
  repeats: number;
  /** Prompt length in tokens. */
  promptTokens: number;
  threads: number;
}

async function openBothSides(benchmarkModel: BenchmarkModel, threads: number, contextSize: number) {
  const model = await Model.load(benchmarkModel.path);
  const context = await Context.create(model, { threads, sequences: 1, contextSize });
  const raw = await openRaw(benchmarkModel.path, { contextSize, batchSize: context.batchSize, threads, sequences: 1 }, engineModelOf(model));
  const rawSequence = raw.context.getSequence();
  return {
    model,
    context,
    raw,
    rawSequence,
    dispose: async () => {
      await raw.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}

/** Tokens per second over `generations` runs together: all decoded tokens over all decode time. */
async function pooledTokensPerSecond(generate: () => Promise<DecodeMeasurement>, generations: number): Promise<number> {
  let tokens = 0;
  let milliseconds = 0;
  for (let generation = 0; generation < generations; generation++) {
    const measurement = await generate();
    tokens += measurement.decodedTokens;
    milliseconds += measurement.decodeMs;
  }
  return (tokens * 1000) / milliseconds;
}

export async function benchmarkDecode(benchmarkModel: BenchmarkModel, options: DecodeOptions): Promise<SpeedRow> {
  const contextSize = Math.min(benchmarkModel.contextLength, 1024);
  const sides = await openBothSides(benchmarkModel, options.threads, contextSize);
  try {
    const promptTokens = benchmarkModel.neverEndsEarly ? freshPrompt(8, 32_000) : sides.model.tokenize(options.demoPrompt, { addBos: true });
    const runRaw = () => rawGenerate(sides.raw.model, sides.rawSequence, promptTokens, options.tokens);
    const runMullama = () => mullamaGenerate(sides.context, promptTokens, options.tokens);
    // Warm-up, and the honesty check: greedy on both sides must give the same text.
    const [rawWarm, mullamaWarm] = [await runRaw(), await runMullama()];
    if (rawWarm.text !== mullamaWarm.text) throw new Error(`${benchmarkModel.label}: the two sides generated different text`);
    const results = await interleaved(options.repeats, {
      raw: () => pooledTokensPerSecond(runRaw, options.generationsPerRepeat),
      mullama: () => pooledTokensPerSecond(runMullama, options.generationsPerRepeat),
    });
    return { model: benchmarkModel, raw: spread(results.raw), mullama: spread(results.mullama), ratio: pairedRatios(results.mullama, results.raw) };
  } finally {
    await sides.dispose();
  }
}

/**
 * Prompt processing: time from the call to the first generated token for a fresh prompt
 * (no cached prefix on either side), as prompt tokens per second.
 */
export async function benchmarkPrompt(benchmarkModel: BenchmarkModel, options: PromptOptions): Promise<SpeedRow> {
  const contextSize = Math.min(benchmarkModel.contextLength, 2 * options.promptTokens);
  const sides = await openBothSides(benchmarkModel, options.threads, contextSize);
  try {
    let prompt = freshPrompt(options.promptTokens, 32_000);
    const tokensPerSecond = (firstTokenMs: number) => (options.promptTokens * 1000) / firstTokenMs;
    await rawGenerate(sides.raw.model, sides.rawSequence, prompt, 1);
    await mullamaGenerate(sides.context, prompt, 1);
    // Both sides of a repeat get the same fresh prompt; the next repeat gets a new one.
    let sidesRun = 0;
    const nextPrompt = () => {
      if (sidesRun++ % 2 === 0) prompt = freshPrompt(options.promptTokens, 32_000);
      return prompt;
    };
    const results = await interleaved(options.repeats, {
      raw: async () => tokensPerSecond((await rawGenerate(sides.raw.model, sides.rawSequence, nextPrompt(), 1)).firstTokenMs),
      mullama: async () => tokensPerSecond((await mullamaGenerate(sides.context, nextPrompt(), 1)).firstTokenMs),
    });
    return { model: benchmarkModel, raw: spread(results.raw), mullama: spread(results.mullama), ratio: pairedRatios(results.mullama, results.raw) };
  } finally {
    await sides.dispose();
  }
}
