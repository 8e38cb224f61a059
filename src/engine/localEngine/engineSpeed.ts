/**
 * One speed measurement of an engine binary on a sequence: a prompt read, then greedy
 * generation. `mullama engine build`'s check and the engine rows of `npm run bench` both
 * measure this way, so their figures compare.
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";

export interface EngineSpeed {
  /** Prompt tokens read per second. */
  readonly prompt: number;
  /** Tokens generated per second after the first one (0 when fewer than two came). */
  readonly decode: number;
  /** The greedy text generated. */
  readonly text: string;
}

/** `length` tokens: `words` over and over. */
export function repeatedTokens(words: readonly Token[], length: number): Token[] {
  return Array.from({ length }, (_, index) => words[index % words.length]!);
}

/**
 * Reads `promptTokens` on the cleared sequence, clears it again, then generates greedily
 * from `start` until an end-of-generation token or `decodeTokens` tokens after the first.
 */
export async function measureEngineSpeed(model: LlamaModel, sequence: LlamaContextSequence, promptTokens: readonly Token[], start: readonly Token[], decodeTokens: number): Promise<EngineSpeed> {
  await sequence.clearHistory();
  const promptStarted = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens([...promptTokens]);
  const prompt = promptTokens.length / ((performance.now() - promptStarted) / 1000);
  await sequence.clearHistory();
  const generated: Token[] = [];
  let firstAt = 0;
  for await (const token of sequence.evaluate([...start], { temperature: 0 })) {
    if (model.isEogToken(token)) break;
    generated.push(token);
    if (generated.length === 1) firstAt = performance.now();
    if (generated.length > decodeTokens) break;
  }
  const decode = generated.length > 1 ? (generated.length - 1) / ((performance.now() - firstAt) / 1000) : 0;
  return { prompt, decode, text: model.detokenize(generated) };
}
