/**
 * The baseline side of every comparison: node-llama-cpp used directly, the way a careful
 * user would write the loop, on the same engine instance mullama uses. Every token is
 * detokenized as it arrives, as a streaming consumer must.
 */
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { loadEngine } from "../src/engine/llama.ts";

export interface RawContextParams {
  contextSize: number;
  batchSize: number;
  threads: number;
  sequences: number;
}

export interface RawSide {
  model: LlamaModel;
  context: LlamaContext;
  dispose(): Promise<void>;
}

/**
 * A raw context. Given `sharedModel` (the engine model under a mullama Model), both sides
 * read the very same weights in memory, so a difference in where two copies were mapped
 * cannot pass for a difference in speed; otherwise the model is loaded here.
 */
export async function openRaw(modelPath: string, params: RawContextParams, sharedModel?: LlamaModel): Promise<RawSide> {
  const model = sharedModel ?? (await (await loadEngine(false)).loadModel({ modelPath, gpuLayers: 0 }));
  // The same flash-attention setting as Context.create picks by default, so both sides run alike.
  const context = await model.createContext({ ...params, flashAttention: model.flashAttentionSupported });
  return {
    model,
    context,
    dispose: async () => {
      await context.dispose();
      if (sharedModel === undefined) await model.dispose();
    },
  };
}

export interface DecodeMeasurement {
  /** Tokens delivered after the first one, and the milliseconds from the first to the last. */
  decodedTokens: number;
  decodeMs: number;
  /** Milliseconds from the call to the first token delivered. */
  firstTokenMs: number;
  text: string;
}

/** Greedy generation of `tokens` tokens after `promptTokens` on a cleared sequence. */
export async function rawGenerate(model: LlamaModel, sequence: LlamaContextSequence, promptTokens: readonly number[], tokens: number): Promise<DecodeMeasurement> {
  const started = performance.now();
  await sequence.clearHistory();
  const generated: Token[] = [];
  let text = "";
  let first = 0;
  let last = 0;
  for await (const token of sequence.evaluate(promptTokens as Token[], { temperature: 0 })) {
    if (model.isEogToken(token)) break;
    text += model.detokenize([token], false, generated.length === 0 ? (promptTokens.slice(-3) as Token[]) : generated.slice(-3));
    generated.push(token);
    last = performance.now();
    if (generated.length === 1) first = last;
    if (generated.length >= tokens) break;
  }
  if (generated.length < tokens) throw new Error(`the raw loop generated ${generated.length} of ${tokens} tokens`);
  return { decodedTokens: generated.length - 1, decodeMs: last - first, firstTokenMs: first - started, text };
}
