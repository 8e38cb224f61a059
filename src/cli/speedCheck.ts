/**
 * A short speed check of a model on this machine: how fast it reads a prompt (prompt
 * tokens per second) and writes an answer (generated tokens per second), through the same
 * generation path every API uses. Each run's prompt starts differently, so no run reuses
 * the cache of the one before; a small warm-up run first takes the one-time costs (graph
 * allocation, page faults of a memory-mapped file) out of the figures.
 */
import type { Context } from "../context/Context.js";

export interface SpeedCheckOptions {
  /** Prompt tokens per run (fewer when the context cannot hold them with the answer). */
  promptTokens: number;
  /** Most tokens generated per run (a run ends earlier when the model ends its answer). */
  generatedTokens: number;
  /** Measured runs, after the warm-up; up to three times as many when answers end early. */
  repetitions: number;
  /** Called as each measured run starts (counted from 1), for progress. */
  onRun?: (run: number) => void;
}

/** Tokens, time and their rate for one phase, summed over the runs. */
export interface PhaseSpeed {
  tokens: number;
  milliseconds: number;
  tokensPerSecond: number;
}

export interface SpeedReport {
  /** Prompt tokens per run, as measured (after capping to the context). */
  promptTokensPerRun: number;
  runs: number;
  prompt: PhaseSpeed;
  /** Tokens after the first of each run (the first comes out of the prompt's evaluation). */
  generation: PhaseSpeed;
}

/** Plain text with the variety of real prompts; repeated and rotated to any length. */
const sampleText =
  "The committee met on a Tuesday to discuss the harbour project. Three engineers presented " +
  "their estimates for the new breakwater, and the treasurer asked how the costs would be " +
  "shared between the town and the port authority. After a long discussion about tides, " +
  "concrete and the winter storms, they agreed to meet again in a month with better figures.";

export async function checkSpeed(context: Context, options: SpeedCheckOptions): Promise<SpeedReport> {
  const { model } = context;
  const generatedTokens = Math.max(1, Math.min(options.generatedTokens, context.contextSize - 2));
  const bos = model.addsBos && model.bosToken !== undefined ? [model.bosToken] : [];
  const promptTokens = Math.max(bos.length + 1, Math.min(options.promptTokens, context.contextSize - generatedTokens));
  const text = model.tokenize(sampleText);
  const promptFor = (run: number): number[] => {
    const body = Array.from({ length: promptTokens - bos.length }, (_, index) => text[(index + run * 7) % text.length]!);
    return [...bos, ...body];
  };

  await context.generate(promptFor(0).slice(0, Math.min(promptTokens, 8)), { maxTokens: 2, seed: 0 });
  const prompt = { tokens: 0, milliseconds: 0 };
  const generation = { tokens: 0, milliseconds: 0 };
  // A model that ends its answers early gets extra runs (up to three times as many) until
  // half the tokens asked for are measured: a rate from a handful of tokens is noise.
  const wantedGenerated = (generatedTokens * options.repetitions) / 2;
  let run = 0;
  while (run < options.repetitions || (generation.tokens < wantedGenerated && run < options.repetitions * 3)) {
    run++;
    options.onRun?.(run);
    const result = await context.generate(promptFor(run), { maxTokens: generatedTokens, seed: run });
    prompt.tokens += result.promptTokens - result.cachedPromptTokens;
    prompt.milliseconds += result.timings.promptMs;
    generation.tokens += Math.max(0, result.tokenCount - 1);
    generation.milliseconds += result.timings.generationMs;
  }
  return { promptTokensPerRun: promptTokens, runs: run, prompt: withRate(prompt), generation: withRate(generation) };
}

function withRate(phase: { tokens: number; milliseconds: number }): PhaseSpeed {
  return { ...phase, tokensPerSecond: phase.milliseconds > 0 ? (phase.tokens * 1000) / phase.milliseconds : 0 };
}
