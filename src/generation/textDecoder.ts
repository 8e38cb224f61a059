/**
 * Turns generated tokens into text pieces that are always complete UTF-8.
 *
 * The engine detokenizes to a JS string; the bytes of a multi-byte character split
 * across tokens come out as U+FFFD. So a piece whose text ends in U+FFFD is held back
 * until the following tokens complete the character. A UTF-8 character has at most four
 * bytes, so after four held tokens the text is released as it is: the model really did
 * produce invalid bytes, and waiting longer would only delay the stream.
 *
 * Each piece is detokenized with the few tokens before it as context, which is how
 * SentencePiece models get the leading space of a word right.
 */

/** `detokenize(tokens, lastTokens)`: text of `tokens` as a continuation of `lastTokens`. */
export type Detokenize = (tokens: readonly number[], lastTokens: readonly number[]) => string;

const replacementCharacter = "\uFFFD";
/** The longest UTF-8 sequence, in bytes, hence in byte-fallback tokens. */
const maxHeldTokens = 4;
/** Tokens of context the engine's detokenizer looks at (node-llama-cpp uses 3). */
const contextTokens = 4;

export class IncrementalDetokenizer {
  readonly #detokenize: Detokenize;
  #context: number[];
  #held: number[] = [];

  /** @param precedingTokens the prompt: the context the first generated token continues. */
  constructor(detokenize: Detokenize, precedingTokens: readonly number[] = []) {
    this.#detokenize = detokenize;
    this.#context = precedingTokens.slice(-contextTokens);
  }

  /** Tokens pushed whose text has not been returned yet. */
  get heldTokens(): readonly number[] {
    return this.#held;
  }

  /** Adds one token; returns the text that is now complete ("" while a character is split). */
  push(token: number): string {
    this.#held.push(token);
    const text = this.#detokenize(this.#held, this.#context);
    if (text.endsWith(replacementCharacter) && this.#held.length < maxHeldTokens) return "";
    this.#commit();
    return text;
  }

  /** Returns whatever is held, even an incomplete character (as U+FFFD), and resets. */
  flush(): string {
    if (this.#held.length === 0) return "";
    const text = this.#detokenize(this.#held, this.#context);
    this.#commit();
    return text;
  }

  #commit(): void {
    this.#context = [...this.#context, ...this.#held].slice(-contextTokens);
    this.#held = [];
  }
}
