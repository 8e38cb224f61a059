/**
 * A context: the KV cache and its parallel sequences on one model. Generations on one
 * context run concurrently, one per sequence, and the engine batches their decodes
 * together. Every generation API here is a thin adapter over `stream()`.
 */
import type { LlamaContext, LlamaModel } from "node-llama-cpp";
import { z } from "zod";
import { ContextError, ContextOverflowError, DisposedError, InvalidArgumentError, SequenceUnavailableError, TokenizationError, errorMessage } from "../errors.js";
import { installBatchGathering, type DispatchLoop } from "../engine/batchGathering.js";
import { dispatchSchedule, type GeneratingCount } from "../engine/dispatchSchedule.js";
import { promptLookupPredictor } from "../engine/promptLookup.js";
import { installAdaptiveThreads } from "../engine/threadPolicy.js";
import { defaultThreadSetting, engineThreadOptions, type ThreadSetting } from "../engine/threads.js";
import { runGeneration, type GenerationRequest } from "../generation/generate.js";
import { GenerationTally } from "../generation/tally.js";
import type { GenerationResult } from "../generation/events.js";
import { resolveGenerationOptions, type GenerationOptions, type ResolvedGenerationOptions } from "../generation/options.js";
import { resolveChat, type ChatMessage, type ChatOptions } from "../chat/chatOptions.js";
import { defaultRenderer, planChatTurn } from "../chat/chatTurn.js";
import type { OutputShaper } from "../generation/outputShaper.js";
import { compileGrammar, type CompiledGrammar } from "../engine/grammar.js";
import { engineModelOf, Model } from "../model/Model.js";
import { TokenStream } from "../streaming/TokenStream.js";
import { RemoteContext, type ConnectOptions } from "../remote/RemoteContext.js";
import { nonNegativeInteger, parseArgument, positiveInteger } from "../validation.js";
import { SequencePool } from "./sequencePool.js";
import { streamToCallback, type TokenCallback } from "./tokenCallback.js";

/** Options of {@link Context.create}. */
export interface ContextParams {
  /**
   * Tokens of context for each sequence (prompt plus generated text). Every sequence gets
   * all of it: memory grows with `contextSize * sequences`. Defaults to the model's
   * training context, capped at 4096 (never "fill the memory").
   */
  contextSize?: number;
  /** Most tokens evaluated in one decode (prompt processing chunk). Defaults to min(contextSize, 512). */
  batchSize?: number;
  /**
   * CPU threads for decoding: a fixed count, or "adaptive" to choose per decode (half the
   * logical cores for token by token generation, every physical core for prompts and
   * batches, never more than other work leaves free). Defaults to "adaptive" (see
   * docs/PERFORMANCE.md).
   */
  threads?: ThreadSetting;
  /** Parallel sequences: how many generations can run at once, batched together. Defaults to 1. */
  sequences?: number;
  /** Default sampling seed for generations that give none. Defaults to a random seed per generation. */
  seed?: number;
  /** Use the flash-attention kernels: measured 1.75x faster prompts and 1.24x faster decoding on a CPU (docs/PERFORMANCE.md). Defaults to true when the model supports it. */
  flashAttention?: boolean;
  /**
   * Prompt lookup (n-gram speculative decoding): when the last generated tokens also occur
   * in the prompt or earlier output, the tokens that followed them there are checked in
   * the same decode as the next token, and every one the model agrees with comes out
   * without a decode of its own. Pays where the answer repeats its input (quoting, code
   * edits, answers drawn from a given text). The output is the same as without it (each
   * predicted token is checked against what the model samples). Defaults to false (see
   * docs/PERFORMANCE.md).
   */
  promptLookup?: boolean;
}

/** Options of {@link Context.generate}: generation options plus a token callback. */
export type GenerateOptions = GenerationOptions;

/** Largest default context, in tokens. */
export const maxDefaultContextSize = 4096;
/** Largest default batch, in tokens. */
export const maxDefaultBatchSize = 512;

const contextParamsSchema = z.strictObject({
  contextSize: positiveInteger().optional(),
  batchSize: positiveInteger().optional(),
  threads: z.union([positiveInteger().max(256, "must be at most 256"), z.literal("adaptive")], { error: 'expected a positive integer or "adaptive"' }).optional(),
  sequences: positiveInteger().max(64, "must be at most 64").optional(),
  seed: nonNegativeInteger().max(0xffff_ffff, "must fit in 32 bits").optional(),
  flashAttention: z.boolean().optional(),
  promptLookup: z.boolean().optional(),
});

/**
 * The model's training context, capped at {@link maxDefaultContextSize}; 4096 when the file
 * does not say. Checked before the engine sees it: a file claiming 2^31 tokens or more
 * reads back from the engine as a negative number.
 */
function defaultContextSize(model: Model): number {
  const trained = model.metadata.trainContextSize;
  if (trained === 0) return maxDefaultContextSize;
  if (!Number.isSafeInteger(trained) || trained < 0) {
    throw new ContextError(`The model's training context size (${trained} tokens) is not a positive integer; pass contextSize to choose one`);
  }
  return Math.min(trained, maxDefaultContextSize);
}

export class Context {
  readonly model: Model;
  /** Tokens of context per sequence. */
  readonly contextSize: number;
  readonly batchSize: number;
  readonly threads: ThreadSetting;
  readonly sequences: number;
  readonly seed: number | undefined;
  readonly #engineContext: LlamaContext;
  readonly #pool: SequencePool;
  readonly #dispatchLoop: DispatchLoop | undefined;
  readonly #disposeController = new AbortController();
  /** Streams being iterated and not finished, so dispose() can end them. */
  readonly #streams = new Set<TokenStream>();
  readonly #untrack: () => void;
  #disposed = false;

  private constructor(model: Model, engineContext: LlamaContext, params: Required<Omit<ContextParams, "seed" | "flashAttention">> & { seed: number | undefined }, generatingCount: GeneratingCount) {
    this.model = model;
    this.#engineContext = engineContext;
    this.contextSize = params.contextSize;
    this.batchSize = params.batchSize;
    this.threads = params.threads;
    this.sequences = params.sequences;
    this.seed = params.seed;
    const sequences = Array.from({ length: params.sequences }, () => engineContext.getSequence(params.promptLookup ? { tokenPredictor: promptLookupPredictor() } : undefined));
    this.#pool = new SequencePool(sequences);
    generatingCount.generating = () => this.#pool.busy;
    // Without the engine internals it needs, sequences still batch, one of them a decode
    // late, and a new prompt on a reused sequence waits for the running generations.
    this.#dispatchLoop = installBatchGathering(engineContext, sequences, generatingCount.generating);
    this.#untrack = model.trackContext(this);
  }

  /** Creates a context on a loaded model. */
  static async create(model: Model, params: ContextParams = {}): Promise<Context> {
    const options = parseArgument(contextParamsSchema, params, "params");
    const engineModel = engineModelOf(model);
    const contextSize = options.contextSize ?? defaultContextSize(model);
    const batchSize = options.batchSize ?? Math.min(contextSize, maxDefaultBatchSize);
    const threads = options.threads ?? defaultThreadSetting();
    const engineThreads = engineThreadOptions(threads, engineModel.llama.cpuMathCores);
    const sequences = options.sequences ?? 1;
    try {
      const generatingCount: GeneratingCount = { generating: () => 0 };
      const engineContext = await engineModel.createContext({
        contextSize,
        batchSize,
        sequences,
        threads: engineThreads.threads,
        flashAttention: options.flashAttention ?? engineModel.flashAttentionSupported,
        batching: { dispatchSchedule: dispatchSchedule(generatingCount) },
      });
      // Without the engine internals it needs, the context keeps its fixed token by token count.
      if (engineThreads.adaptive !== undefined) installAdaptiveThreads(engineContext, engineThreads.adaptive);
      return new Context(model, engineContext, { contextSize, batchSize, threads, sequences, seed: options.seed, promptLookup: options.promptLookup ?? false }, generatingCount);
    } catch (error) {
      throw new ContextError(`Cannot create a context of ${contextSize} tokens x ${sequences} sequences: ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * Connects to a remote engine instead of a local model: `baseUrl` is any OpenAI-compatible
   * server's base URL (vLLM, llama.cpp's server, Ollama's `/v1`, another mullama), for
   * example `http://127.0.0.1:8000/v1`. Resolves, once the engine has answered its model
   * list, to a context with the same streaming API (see docs/REMOTE.md).
   */
  static connect(baseUrl: string, options: ConnectOptions = {}): Promise<RemoteContext> {
    return RemoteContext.connect(baseUrl, options);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Sequences generating right now. */
  get busySequences(): number {
    return this.#pool.busy;
  }

  /** Generations waiting for a free sequence. */
  get waitingGenerations(): number {
    return this.#pool.waiting;
  }

  /**
   * Streams a generation: an async iterable of token events, or of parts with `parts()`.
   * Validation happens now (bad options and prompts that cannot fit throw synchronously);
   * generation starts when iteration does. `options.observer` watches it without reading.
   */
  stream(prompt: string | readonly number[], options: GenerationOptions = {}): TokenStream {
    return this.#start(prompt, options, undefined);
  }

  /**
   * A chat turn: the messages rendered through the model's chat template (a plain
   * transcript for a model without one), generated as the assistant's reply. The stream
   * is the same as `stream`'s; with tools, `parts()` also yields `tool-call-start`,
   * `tool-call-delta` and `tool-call`, and `result.toolCalls` lists the calls
   * (`stopReason: "toolCalls"`); a model whose template separates thinking adds
   * `reasoning` parts (`result.reasoning`). Validation happens now, like `stream`'s.
   */
  chat(messages: readonly ChatMessage[], options: ChatOptions = {}): TokenStream {
    if (this.#disposed) throw new DisposedError("Context");
    const chat = resolveChat(messages, options);
    const turn = planChatTurn(chat, chat.renderer ?? defaultRenderer(this.model));
    return this.#start(turn.prompt, turn.options, turn.shaper);
  }

  #start(prompt: string | readonly number[], options: GenerationOptions, shaper: OutputShaper | undefined): TokenStream {
    if (this.#disposed) throw new DisposedError("Context");
    const resolved = resolveGenerationOptions(options, this.seed);
    this.#assertBiasedTokens(resolved.logitBias);
    const promptTokens = this.#tokenizePrompt(prompt, resolved.addBos);
    // Running out of context is not an error: a maxTokens larger than the room left
    // generates until the context is full (stopReason "maxTokens"). Only a prompt that
    // alone leaves no room is refused.
    const room = this.contextSize - promptTokens.length;
    if (room < 1) throw new ContextOverflowError(promptTokens.length, resolved.maxTokens ?? 1, this.contextSize);
    const maxTokens = Math.min(resolved.maxTokens ?? room, room);
    // Refused now, so a server can answer before it starts a response; the pool checks
    // again when iteration starts, since a sequence can be taken in between.
    if (!resolved.wait && !this.#pool.hasFreeSequence) throw new SequenceUnavailableError();
    const signal = resolved.signal === undefined ? this.#disposeController.signal : AbortSignal.any([resolved.signal, this.#disposeController.signal]);
    const tally = new GenerationTally(promptTokens.length, resolved.seed);
    const engineModel = engineModelOf(this.model);
    const request: GenerationRequest = {
      engineModel,
      grammar: resolveGrammar(engineModel, resolved),
      shaper,
      acquire: (waitSignal: AbortSignal) => this.#pool.acquire(promptTokens, { wait: resolved.wait, signal: waitSignal }),
      promptTokens,
      maxTokens,
      options: resolved,
      batchSize: this.batchSize,
      signal,
      onPromptProgress: resolved.onPromptProgress,
      withContextLock: this.#dispatchLoop?.withContextLock,
    };
    const stream = TokenStream.create(runGeneration(request, tally), {
      // A generation that had reached its end before it was closed keeps its own reason.
      finish: (end) => tally.result(tally.end ?? end),
      signal,
      observer: resolved.observer,
      onStart: () => this.#streams.add(stream),
      onEnd: () => this.#streams.delete(stream),
    });
    return stream;
  }

  /** Generates and collects the whole text; resolves to the result. */
  async generate(prompt: string | readonly number[], options: GenerateOptions = {}): Promise<GenerationResult> {
    const stream = this.stream(prompt, options);
    for await (const _event of stream) {
      // Collecting is the result's job.
    }
    return stream.result;
  }

  /**
   * The seed's callback API: calls `onToken` with each piece of text; returning `false`
   * stops (`stopReason: "callback"`). Resolves to the result.
   */
  async generateStreaming(prompt: string | readonly number[], maxTokens: number, onToken: TokenCallback, options: GenerationOptions = {}): Promise<GenerationResult> {
    if (typeof onToken !== "function") throw new InvalidArgumentError("onToken", "expected a function");
    if (options !== null && typeof options === "object" && "maxTokens" in options) {
      throw new InvalidArgumentError("options.maxTokens", "pass maxTokens as the second argument of generateStreaming");
    }
    const stream = this.stream(prompt, { ...options, maxTokens });
    // An abort or dispose must end the generation even while a callback's promise is pending.
    const stopSignal = options?.signal === undefined ? this.#disposeController.signal : AbortSignal.any([options.signal, this.#disposeController.signal]);
    return streamToCallback(stream, onToken, stopSignal);
  }

  /** Stops every generation (they end with `stopReason: "abort"`), then frees the context. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#disposeController.abort(new DisposedError("Context"));
    this.#pool.close();
    // close() ends a generation suspended between tokens at once, and one mid-decode
    // right after that decode (the abort above makes its loop exit).
    await Promise.allSettled([...this.#streams].map((stream) => stream.close()));
    this.#untrack();
    await this.#engineContext.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  // Native code trusts token ids: one outside the vocabulary must never reach the sampler.
  #assertBiasedTokens(biases: ReadonlyMap<number, number>): void {
    const size = this.model.metadata.vocabularySize;
    for (const token of biases.keys()) {
      if (token >= size) throw new InvalidArgumentError(`options.logitBias.${token}`, `${token} is not a token id of this model (0 to ${size - 1})`);
    }
  }

  #tokenizePrompt(prompt: string | readonly number[], addBos: boolean): number[] {
    let tokens: number[];
    if (typeof prompt === "string") {
      tokens = this.model.tokenize(prompt, { addBos });
    } else if (Array.isArray(prompt)) {
      this.model.assertTokens(prompt, "prompt");
      tokens = [...prompt];
    } else {
      throw new InvalidArgumentError("prompt", "expected a string or an array of token ids");
    }
    if (tokens.length === 0) throw new TokenizationError("The prompt is empty: give some text, or keep addBos on");
    return tokens;
  }
}

function resolveGrammar(engineModel: LlamaModel, options: ResolvedGenerationOptions): CompiledGrammar | undefined {
  if (options.jsonSchema !== undefined) return compileGrammar(engineModel, { kind: "jsonSchema", schema: options.jsonSchema, argument: "options.jsonSchema" });
  if (options.grammar !== undefined) return compileGrammar(engineModel, { kind: "gbnf", text: options.grammar, argument: "options.grammar" });
  return undefined;
}

declare module "../model/Model.js" {
  interface Model {
    /** Creates a context on this model; same as `Context.create(model, params)`. */
    createContext(params?: ContextParams): Promise<Context>;
  }
}

// A context is built on a model, so the model layer cannot name Context without an import
// circle: the convenience method is added here, where both are known. Every entry point
// (src/index.ts, the server) loads this module.
Model.prototype.createContext = function createContext(this: Model, params: ContextParams = {}): Promise<Context> {
  return Context.create(this, params);
};
