/**
 * The child process of the engine section: one engine binary (MULLAMA_ENGINE's choice is
 * made per child, as two binaries cannot share a process), one thread count, one decode
 * and one prompt measurement on a cleared sequence.
 */
import { openEngine } from "../src/engine/llama.ts";
import type { EngineKind } from "../src/engine/localEngine/engineRecord.ts";
import { measureEngineSpeed, repeatedTokens } from "../src/engine/localEngine/engineSpeed.ts";
import { serveChildJobs } from "../src/engine/probe/childJobProtocol.ts";

export interface EngineMeasureInput {
  kind: EngineKind;
  modelPath: string;
  threads: number;
  decodeTokens: number;
  promptTokens: number;
}

export interface EngineMeasureOutput {
  /** Tokens/s after the first generated token, one sequence, greedy. */
  decode: number;
  /** Prompt tokens/s of one fresh prompt of `promptTokens`. */
  prompt: number;
}

async function measure(input: EngineMeasureInput): Promise<EngineMeasureOutput> {
  const llama = await openEngine(false, input.kind);
  const model = await llama.loadModel({ modelPath: input.modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 1024, batchSize: 512, sequences: 1, threads: input.threads, flashAttention: model.flashAttentionSupported });
  try {
    const sequence = context.getSequence();
    const promptTokens = repeatedTokens(model.tokenize("And it came to pass in those days that the people went up to the city "), input.promptTokens);
    // A warm-up decode, so page faults and first-use costs land outside the measurement.
    await sequence.evaluateWithoutGeneratingNewTokens(promptTokens.slice(0, 16));
    const { decode, prompt } = await measureEngineSpeed(model, sequence, promptTokens, promptTokens.slice(0, 8), input.decodeTokens);
    return { decode, prompt };
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

await serveChildJobs((input) => measure(input as EngineMeasureInput));
