/**
 * Prompt lookup (n-gram speculative decoding) through node-llama-cpp's own
 * `InputLookupTokenPredictor`: it finds the last generated tokens in the sequence's
 * earlier tokens (the prompt and the output so far) and predicts the tokens that followed
 * them there. The engine evaluates those predictions in the same decode as the next
 * token and keeps each one the sampler agrees with, so the output is what it would be
 * without them; a prediction that is refuted costs only the extra tokens of one decode.
 */
import { InputLookupTokenPredictor } from "node-llama-cpp";

/**
 * How much to look for and how far to guess. A pattern of at least 2 tokens avoids
 * guessing after every common single token; up to 5 predicted tokens keeps a refuted
 * guess cheap (a decode of 6 tokens costs little more than one on a CPU, where decoding
 * is bound by reading the weights).
 */
const settings = { patternLength: { min: 2, max: 0 }, predictionLength: { min: 1, max: 5 } } as const;

/** A predictor for one sequence (predictors hold per-sequence state). */
export function promptLookupPredictor(): InputLookupTokenPredictor {
  return new InputLookupTokenPredictor({ patternLength: { ...settings.patternLength }, predictionLength: { ...settings.predictionLength } });
}
