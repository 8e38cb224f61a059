/**
 * Embeddings: one vector per input text (or token ids), L2-normalized as OpenAI's are, so
 * a dot product is the cosine similarity. Built on the engine's embedding context: a
 * context of its own with embeddings on, pooled as the model says (mean or CLS for
 * encoder models, the last token for decoders such as Llama).
 *
 * Inputs are validated whole before any is evaluated: an empty text, a token id outside
 * the vocabulary or an input longer than the context fails the call up front, naming it.
 * Each input is one decode of all its tokens; inputs run one after the other (the
 * engine's embedding context has one sequence), sharing the context.
 */
import type { LlamaEmbeddingContext, Token } from "node-llama-cpp";
import { z } from "zod";
import { AbortedError, ContextError, ContextOverflowError, DisposedError, GenerationError, InvalidArgumentError, errorMessage, wrapEngineError } from "../errors.js";
import { adaptiveThreadSettings } from "../engine/threads.js";
import { maxDefaultContextSize } from "../context/Context.js";
import { engineModelOf, Model } from "../model/Model.js";
import { abortSignal, parseArgument, positiveInteger } from "../validation.js";

/** Options of {@link EmbeddingContext.create}. */
export interface EmbeddingContextParams {
  /** Tokens the context holds; the longest input is one less. Defaults to the model's training context, capped at 4096. */
  contextSize?: number;
  /** CPU threads. Defaults to every physical core (at most 16): an input is one decode of many tokens. */
  threads?: number;
}

/** Text, or token ids of this model. */
export type EmbeddingInput = string | readonly number[];

/** Options of {@link EmbeddingContext.embed}. */
export interface EmbedOptions {
  /** Cancels between inputs (one input's decode cannot be interrupted); the call rejects with AbortedError. */
  signal?: AbortSignal;
}

const paramsSchema = z.strictObject({
  contextSize: positiveInteger().optional(),
  threads: positiveInteger().max(256, "must be at most 256").optional(),
});

const embedOptionsSchema = z.strictObject({ signal: abortSignal().optional() });

export class EmbeddingContext {
  readonly model: Model;
  /** Tokens the context holds. */
  readonly contextSize: number;
  /** Length of every vector. */
  readonly dimensions: number;
  readonly #engineContext: LlamaEmbeddingContext;
  readonly #untrack: () => void;
  #disposed = false;

  private constructor(model: Model, engineContext: LlamaEmbeddingContext, contextSize: number) {
    this.model = model;
    this.#engineContext = engineContext;
    this.contextSize = contextSize;
    this.dimensions = engineModelOf(model).embeddingVectorSize;
    this.#untrack = model.trackContext(this);
  }

  static async create(model: Model, params: EmbeddingContextParams = {}): Promise<EmbeddingContext> {
    const options = parseArgument(paramsSchema, params, "params");
    const engineModel = engineModelOf(model);
    const contextSize = options.contextSize ?? Math.min(model.metadata.trainContextSize || maxDefaultContextSize, maxDefaultContextSize);
    const threads = options.threads ?? adaptiveThreadSettings(engineModel.llama.cpuMathCores).manyTokenThreads;
    try {
      // The whole input in one batch: encoder models cannot split it across decodes.
      const engineContext = await engineModel.createEmbeddingContext({ contextSize, batchSize: contextSize, threads });
      return new EmbeddingContext(model, engineContext, contextSize);
    } catch (error) {
      throw new ContextError(`Cannot create an embedding context of ${contextSize} tokens: ${errorMessage(error)}`, { cause: error });
    }
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** One normalized vector for one input, or one per input, in order, for an array of inputs. */
  embed(input: EmbeddingInput, options?: EmbedOptions): Promise<number[]>;
  embed(inputs: readonly EmbeddingInput[], options?: EmbedOptions): Promise<number[][]>;
  async embed(input: EmbeddingInput | readonly EmbeddingInput[], options: EmbedOptions = {}): Promise<number[] | number[][]> {
    const { signal } = parseArgument(embedOptionsSchema, options, "options");
    const single = typeof input === "string" || (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === "number"));
    const inputs = single ? [input as EmbeddingInput] : input;
    if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidArgumentError("input", "expected a non-empty string, token ids, or a non-empty array of them");
    const tokenLists = inputs.map((item, index) => this.#tokens(item, single ? "input" : `input[${index}]`));
    const vectors: number[][] = [];
    for (const tokens of tokenLists) {
      if (signal?.aborted) throw new AbortedError("The embedding", { cause: signal.reason });
      vectors.push(await this.#embedTokens(tokens));
    }
    return single ? vectors[0]! : vectors;
  }

  /** Tokens an input takes in the context, the BOS/EOS the model adds included. */
  countTokens(input: EmbeddingInput): number {
    return this.#engineContext.calculateInputLength(this.#toTokens(input, "input") as Token[]);
  }

  /** Frees the context. Safe to call twice; the model's dispose() calls it too. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#untrack();
    await this.#engineContext.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #tokens(input: unknown, argument: string): number[] {
    const tokens = this.#toTokens(input, argument);
    const length = this.#engineContext.calculateInputLength(tokens as Token[]);
    if (length >= this.contextSize) {
      throw new ContextOverflowError(length, 0, this.contextSize, `The ${argument === "input" ? "input" : argument} is ${length} tokens long; the embedding context holds at most ${this.contextSize - 1} (contextSize ${this.contextSize})`);
    }
    return tokens;
  }

  #toTokens(input: unknown, argument: string): number[] {
    if (this.#disposed) throw new DisposedError("EmbeddingContext");
    if (typeof input === "string") {
      if (input === "") throw new InvalidArgumentError(argument, "is empty: there is nothing to embed");
      return this.model.tokenize(input);
    }
    if (!Array.isArray(input)) throw new InvalidArgumentError(argument, "expected a string or an array of token ids");
    if (input.length === 0) throw new InvalidArgumentError(argument, "has no tokens: there is nothing to embed");
    this.model.assertTokens(input, argument);
    return [...(input as number[])];
  }

  async #embedTokens(tokens: number[]): Promise<number[]> {
    try {
      const { vector } = await this.#engineContext.getEmbeddingFor(tokens as Token[]);
      return normalize(vector);
    } catch (error) {
      if (this.#disposed) throw new DisposedError("EmbeddingContext");
      throw wrapEngineError(error, (cause) => new GenerationError(`The engine failed to compute an embedding: ${errorMessage(cause)}`, { cause }));
    }
  }
}

/** Scaled to length 1 (a zero vector stays zero rather than becoming NaN). */
export function normalize(vector: readonly number[]): number[] {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  const length = Math.sqrt(sumOfSquares);
  return length === 0 ? [...vector] : vector.map((value) => value / length);
}

declare module "../model/Model.js" {
  interface Model {
    /**
     * Embeds text: one L2-normalized vector per input (a string, token ids, or an array of
     * them). Uses an embedding context this model creates on first use with default
     * parameters and keeps until it is disposed; create one with
     * {@link createEmbeddingContext} to choose its size or to free it earlier.
     */
    embed(input: EmbeddingInput, options?: EmbedOptions): Promise<number[]>;
    embed(inputs: readonly EmbeddingInput[], options?: EmbedOptions): Promise<number[][]>;
    /** Creates an embedding context on this model; dispose it when done (the model's dispose() does too). */
    createEmbeddingContext(params?: EmbeddingContextParams): Promise<EmbeddingContext>;
  }
}

/** The context each model's `embed` uses, made on first use; the model's dispose() frees it. */
const sharedContexts = new WeakMap<Model, Promise<EmbeddingContext>>();

// An embedding context is built on a model, so the model layer cannot name this class
// without an import circle: its conveniences are added here. Every entry point
// (src/index.ts) loads this module.
Model.prototype.createEmbeddingContext = function createEmbeddingContext(this: Model, params: EmbeddingContextParams = {}): Promise<EmbeddingContext> {
  return EmbeddingContext.create(this, params);
};

Model.prototype.embed = async function embed(this: Model, input: EmbeddingInput | readonly EmbeddingInput[], options: EmbedOptions = {}): Promise<number[] | number[][]> {
  if (this.disposed) throw new DisposedError("Model");
  let shared = sharedContexts.get(this);
  if (shared === undefined) {
    shared = EmbeddingContext.create(this).catch((error: unknown) => {
      sharedContexts.delete(this);
      throw error;
    });
    sharedContexts.set(this, shared);
  }
  return (await shared).embed(input as EmbeddingInput[], options);
} as Model["embed"];
