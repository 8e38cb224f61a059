/**
 * Log-probabilities of generated tokens (the `logprobs` option): turns the engine's
 * per-step probabilities into each token's log-probability, text and bytes, and the most
 * likely alternatives at its step.
 *
 * A token's text is read as a continuation of the tokens before it (SentencePiece puts a
 * word's leading space in the token, and detokenizing it alone would drop it). A token
 * that is only part of a multi-byte character has no text of its own (U+FFFD): its bytes
 * come from its vocabulary piece instead, so a client can join them into the character.
 */
import type { TokenAlternative, TokenLogprob } from "./events.js";
import type { Detokenize } from "./textDecoder.js";

/** What the engine reports about one sampling step. */
export interface StepProbabilities {
  /** The chosen token's probability. */
  confidence?: number | undefined;
  /** Every candidate's probability, most likely first. */
  probabilities?: ReadonlyMap<number, number> | undefined;
}

/** The vocabulary the bytes of a partial character are read from: a token's piece and the tokenizer's kind (GGUF `tokenizer.ggml.model`). */
export interface Vocabulary {
  pieces: readonly string[] | undefined;
  kind: string | undefined;
}

/** The log-probability reported for a probability of 0 (JSON has no -Infinity; OpenAI uses the same). */
export const impossibleLogprob = -9999;
const contextTokens = 4;
const replacementCharacter = "\uFFFD";
const encoder = new TextEncoder();

export class LogprobRecorder {
  readonly #detokenize: Detokenize;
  readonly #vocabulary: Vocabulary;
  readonly #alternatives: number;
  #context: number[];

  /**
   * @param alternatives how many of the most likely tokens to list per step
   * @param precedingTokens the prompt: what the first generated token continues
   */
  constructor(detokenize: Detokenize, vocabulary: Vocabulary, alternatives: number, precedingTokens: readonly number[]) {
    this.#detokenize = detokenize;
    this.#vocabulary = vocabulary;
    this.#alternatives = alternatives;
    this.#context = precedingTokens.slice(-contextTokens);
  }

  /** The log-probability entry of `token`, chosen at a step with these probabilities. */
  record(token: number, step: StepProbabilities): TokenLogprob {
    const probability = step.confidence ?? step.probabilities?.get(token) ?? 0;
    const topLogprobs: TokenAlternative[] = [];
    if (this.#alternatives > 0 && step.probabilities !== undefined) {
      for (const [candidate, candidateProbability] of step.probabilities) {
        if (topLogprobs.length === this.#alternatives) break;
        topLogprobs.push(this.#alternative(candidate, candidateProbability));
      }
    }
    const entry: TokenLogprob = { ...this.#alternative(token, probability), topLogprobs };
    this.#context = [...this.#context.slice(1 - contextTokens), token];
    return entry;
  }

  #alternative(token: number, probability: number): TokenAlternative {
    const text = this.#detokenize([token], this.#context);
    return { token, text, bytes: this.#bytes(token, text), logprob: probability > 0 ? Math.max(Math.log(probability), impossibleLogprob) : impossibleLogprob };
  }

  #bytes(token: number, text: string): number[] {
    if (!text.includes(replacementCharacter)) return [...encoder.encode(text)];
    const piece = this.#vocabulary.pieces?.[token];
    const bytes = piece === undefined ? undefined : pieceBytes(piece, this.#vocabulary.kind);
    return bytes ?? [...encoder.encode(text)];
  }
}

/** The bytes a vocabulary piece stands for: SentencePiece's byte tokens (`<0xE2>`) and GPT-2's byte-level alphabet. */
export function pieceBytes(piece: string, kind: string | undefined): number[] | undefined {
  const byteToken = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
  if (byteToken !== null) return [Number.parseInt(byteToken[1]!, 16)];
  if (kind !== "gpt2") return undefined;
  const bytes: number[] = [];
  for (const character of piece) {
    const byte = byteLevelDecoder().get(character.codePointAt(0)!);
    if (byte === undefined) return undefined;
    bytes.push(byte);
  }
  return bytes;
}

let decoder: Map<number, number> | undefined;

/**
 * GPT-2's byte-level alphabet, reversed: printable bytes stand for themselves, the other
 * bytes are shifted, in order, to code points from 256 up (so every byte is a visible character).
 */
function byteLevelDecoder(): Map<number, number> {
  if (decoder !== undefined) return decoder;
  decoder = new Map();
  let shifted = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    decoder.set(printable ? byte : shifted++, byte);
  }
  return decoder;
}
