/**
 * The generation options as the engine's sampler takes them: temperature and the
 * truncation samplers, the repeat, presence and frequency penalties over a window of
 * recent tokens, and logit biases (OpenAI's scale: added to the logit, -100 bans).
 */
import { TokenBias, type LlamaGrammarEvaluationState, type LlamaModel, type SequenceEvaluateOptions, type Token } from "node-llama-cpp";
import type { ResolvedGenerationOptions } from "./options.js";

/** A bias at or below this bans the token (OpenAI documents -100 as a ban). */
const banningBias = -100;

/**
 * The sampler's options. `history` is the prompt and the output so far, kept by the
 * loop; it is given only when a penalty needs it.
 */
export function samplerOptions(engineModel: LlamaModel, options: ResolvedGenerationOptions, history: number[] | undefined, grammarState: LlamaGrammarEvaluationState | undefined): SequenceEvaluateOptions {
  return {
    temperature: options.temperature,
    topK: options.topK,
    topP: options.topP,
    minP: options.minP,
    seed: options.seed,
    yieldEogToken: true,
    ...(grammarState === undefined ? {} : { grammarEvaluationState: grammarState }),
    ...(history === undefined
      ? {}
      : {
          repeatPenalty: {
            punishTokens: () => history.slice(-options.penaltyWindow) as Token[],
            penalty: options.repeatPenalty,
            presencePenalty: options.presencePenalty,
            frequencyPenalty: options.frequencyPenalty,
          },
        }),
    ...(options.logitBias.size === 0 ? {} : { tokenBias: tokenBias(engineModel, options.logitBias) }),
  };
}

// The engine ignores biases on end-of-generation tokens: a turn can always end.
function tokenBias(engineModel: LlamaModel, biases: ReadonlyMap<number, number>): TokenBias {
  const bias = new TokenBias(engineModel.tokenizer);
  for (const [token, value] of biases) bias.set(token as Token, value <= banningBias ? "never" : { logit: value });
  return bias;
}
