/**
 * A loaded GGUF model: its weights, metadata and tokenizer. One model is shared by any
 * number of contexts; dispose it (or `await using`) to free its native memory.
 */
import type { LlamaModel, Token } from "node-llama-cpp";
import { z } from "zod";
import { DisposedError, ModelLoadError, TokenizationError, errorMessage, wrapEngineError } from "../errors.js";
import { loadEngine, type GpuBackend } from "../engine/llama.js";
import { readGgufHeader } from "../engine/gguf/ggufHeader.js";
import { summarizeGgufHeader, type GgufModelSummary } from "../engine/gguf/ggufMetadata.js";
import { validateGgufModel } from "../engine/gguf/ggufModelValidation.js";
import { probeModelFile } from "../engine/probe/probeModelFile.js";
import { parseArgument } from "../validation.js";
import { pullModel, type PullOptions } from "../pull/pullModel.js";
import type { PullProgress } from "../pull/pullProgress.js";
import type { StoredModel } from "../store/storedModel.js";
import { resolveModelSource } from "./modelSource.js";

/** Options of {@link Model.load}. */
export interface ModelParams {
  /** Compute backend: `false` runs on the CPU only. Defaults to `false`. */
  gpu?: GpuBackend;
  /** Layers to offload to the GPU when `gpu` is set: a count, `"max"` or `"auto"`. Defaults to `"auto"` with a GPU, 0 without. */
  gpuLayers?: number | "max" | "auto";
  /** Map the file into memory instead of reading it (pages load on demand, shared between processes). Defaults to true. */
  useMmap?: boolean;
  /** Called with the load progress, from 0 to 1. */
  onLoadProgress?: (progress: number) => void;
  /** Cancels the load (and a pull it started); `Model.load` then rejects with ModelLoadError (AbortedError during a pull). */
  signal?: AbortSignal;
  /**
   * When the model is a reference (`hf:user/repo:Q4_K_M`, an https:// URL) that is not in
   * the store yet, pull it first. Defaults to false: such a load fails with an error that
   * says how to pull it.
   */
  pull?: boolean;
  /** Called with the progress of that pull. */
  onPullProgress?: (progress: PullProgress) => void;
  /**
   * For files from outside: before loading the file here, load it once in a child process
   * (tokenize, decode one token) and refuse it with ModelLoadError if that process dies or
   * hangs, so a file that aborts the engine cannot take this process down. Verdicts are
   * cached by file fingerprint in `$MULLAMA_CACHE_DIR` (else `$XDG_CACHE_HOME/mullama`,
   * else `~/.cache/mullama`): 2-6 s on the demo model the first time a file is seen (plus
   * a large model's load time), milliseconds after (docs/RELIABILITY.md). Defaults to
   * false: validation alone (always on) refuses every kind of file known to abort the engine.
   */
  probe?: boolean;
}

/** What the GGUF file says about the model. */
export interface ModelMetadata {
  /** `general.architecture`, for example `"llama"`. */
  architecture: string;
  /** `general.name`, when the file has one. */
  name: string | undefined;
  /** Number of weights, summed over every tensor in the file. */
  parameterCount: number;
  /** The file's quantization, for example `"Q8_0"` or `"Q4_K_M"` (from `general.file_type`). */
  quantization: string | undefined;
  /** The context length the model was trained with, in tokens. */
  trainContextSize: number;
  /** Number of tokens in the vocabulary. */
  vocabularySize: number;
  /** The Jinja chat template, when the file has one. */
  chatTemplate: string | undefined;
  /** Size of the model's weights in bytes. */
  sizeBytes: number;
}

const modelParamsSchema = z.strictObject({
  gpu: z.union([z.literal(false), z.enum(["auto", "cuda", "vulkan", "metal"])]).optional(),
  gpuLayers: z.union([z.number().int().min(0), z.literal("max"), z.literal("auto")]).optional(),
  useMmap: z.boolean().optional(),
  onLoadProgress: z.function().optional(),
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal, { error: "expected an AbortSignal" }).optional(),
  pull: z.boolean().optional(),
  onPullProgress: z.function().optional(),
  probe: z.boolean().optional(),
});

/** What a model disposes before itself (its contexts). */
interface Disposable {
  dispose(): Promise<void>;
}

const engineModels = new WeakMap<Model, LlamaModel>();

/** The engine model behind a Model, for the context layer. Not part of the public API. */
export function engineModelOf(model: Model): LlamaModel {
  const engineModel = engineModels.get(model);
  if (engineModel === undefined || engineModel.disposed) throw new DisposedError("Model");
  return engineModel;
}

export class Model {
  /** Absolute or relative path the model was loaded from. */
  readonly path: string;
  readonly metadata: ModelMetadata;
  /** Contexts built on this model, disposed before it. */
  readonly #contexts = new Set<Disposable>();
  #disposed = false;

  private constructor(path: string, engineModel: LlamaModel, summary: GgufModelSummary) {
    this.path = path;
    this.metadata = {
      architecture: summary.architecture,
      name: summary.name,
      parameterCount: summary.parameterCount,
      quantization: summary.quantization,
      // From the validated header: the engine reports it as a signed 32-bit integer.
      trainContextSize: summary.contextLength ?? engineModel.trainContextSize,
      vocabularySize: summary.vocabularySize ?? 0,
      chatTemplate: summary.chatTemplate,
      sizeBytes: engineModel.size,
    };
    engineModels.set(this, engineModel);
  }

  /**
   * Loads a GGUF model from a file path, or by store name or reference (`mullama list`
   * shows the names; see {@link Model.pull}). The file's header is validated before the
   * engine opens it, so a missing, truncated or malformed file rejects with
   * {@link ModelLoadError} (never a crash).
   */
  static async load(pathOrName: string, params: ModelParams = {}): Promise<Model> {
    if (typeof pathOrName !== "string" || pathOrName.trim() === "") {
      throw new ModelLoadError(String(pathOrName), "the model path must be a non-empty string");
    }
    const options = parseArgument(modelParamsSchema, params, "params");
    const { path } = await resolveModelSource(pathOrName, {
      pull: options.pull ?? false,
      onPullProgress: options.onPullProgress as ((progress: PullProgress) => void) | undefined,
      signal: options.signal,
    });
    // The header and its content are checked here because the engine can abort the
    // process on a file it does not expect (see docs/RELIABILITY.md).
    const header = await readGgufHeader(path);
    validateGgufModel(header);
    const summary = summarizeGgufHeader(header);
    const gpu = options.gpu ?? false;
    if (options.probe) {
      const verdict = await probeModelFile(path, { gpu });
      if (!verdict.safe) throw new ModelLoadError(path, verdict.reason);
      if (options.signal?.aborted) throw new ModelLoadError(path, "the load was aborted");
    }
    try {
      const engine = await loadEngine(gpu, path);
      const engineModel = await engine.loadModel({
        modelPath: path,
        gpuLayers: gpu === false ? 0 : (options.gpuLayers ?? "auto"),
        useMmap: options.useMmap ?? true,
        ...(options.onLoadProgress === undefined ? {} : { onLoadProgress: options.onLoadProgress as (progress: number) => void }),
        ...(options.signal === undefined ? {} : { loadSignal: options.signal }),
      });
      return new Model(path, engineModel, summary);
    } catch (error) {
      throw wrapEngineError(error, (cause) => new ModelLoadError(path, options.signal?.aborted ? "the load was aborted" : `the engine failed to load it (${errorMessage(cause)})`, { cause }));
    }
  }

  /**
   * Downloads a model into the store (resuming, verified, atomic: see docs/MODELS.md) and
   * resolves to what was stored; a model already there and unchanged is not downloaded
   * again. References: `hf:<user>/<repo>:<quant>`, `hf:<user>/<repo>` (Q4_K_M, else the
   * nearest the repository has), `hf:<user>/<repo>/<file>.gguf`, `hf.co/<user>/<repo>:<quant>`,
   * `https://.../<file>.gguf`. Failures are {@link PullError}s; an abort is an AbortedError.
   */
  static pull(reference: string, options: PullOptions = {}): Promise<StoredModel> {
    return pullModel(reference, options);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Whether prompts should start with the BOS token (the model's own setting). */
  get addsBos(): boolean {
    return engineModelOf(this).tokens.shouldPrependBosToken;
  }

  /** The begin-of-sequence token id, or undefined when the model has none. */
  get bosToken(): number | undefined {
    return engineModelOf(this).tokens.bos ?? undefined;
  }

  /** The end-of-sequence token id, or undefined when the model has none. */
  get eosToken(): number | undefined {
    return engineModelOf(this).tokens.eos ?? undefined;
  }

  /**
   * Text to token ids. `addBos` prepends the model's BOS token (when it uses one);
   * `special` parses special-token text such as `</s>` as the special token.
   * Defaults: `addBos` false, `special` false.
   */
  tokenize(text: string, options: { addBos?: boolean; special?: boolean } = {}): number[] {
    if (typeof text !== "string") throw new TokenizationError("tokenize expects a string");
    const engineModel = engineModelOf(this);
    try {
      const tokens = engineModel.tokenize(text, options.special ?? false) as number[];
      const bos = engineModel.tokens.bos;
      return options.addBos && bos !== null && engineModel.tokens.shouldPrependBosToken ? [bos, ...tokens] : tokens;
    } catch (error) {
      throw new TokenizationError(`Cannot tokenize the text: ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * Token ids to text. Ids are range-checked here: the engine would abort the whole
   * process on an id outside the vocabulary. `special` renders special tokens as text.
   */
  detokenize(tokens: readonly number[], options: { special?: boolean } = {}): string {
    this.assertTokens(tokens, "tokens");
    try {
      return engineModelOf(this).detokenize(tokens as Token[], options.special ?? false);
    } catch (error) {
      throw new TokenizationError(`Cannot detokenize: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** @internal Throws TokenizationError unless every element is an integer id inside the vocabulary. */
  assertTokens(tokens: readonly number[], argument: string): void {
    if (!Array.isArray(tokens)) throw new TokenizationError(`${argument} must be an array of token ids`);
    const size = this.metadata.vocabularySize;
    for (let index = 0; index < tokens.length; index++) {
      const token = tokens[index];
      if (!Number.isInteger(token) || (token as number) < 0 || (token as number) >= size) {
        throw new TokenizationError(`${argument}[${index}] = ${String(token)} is not a token id of this model (0 to ${size - 1})`);
      }
    }
  }

  // `createContext(params)` is added by context/Context.ts, and `embed(input)` and
  // `createEmbeddingContext(params)` by embedding/EmbeddingContext.ts: they are built on a
  // model, so this layer does not know their classes.

  /** @internal Contexts register themselves so that disposing the model disposes them first. */
  trackContext(context: Disposable): () => void {
    this.#contexts.add(context);
    return () => this.#contexts.delete(context);
  }

  /** Frees the model and every context created on it. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.all([...this.#contexts].map((context) => context.dispose()));
    const engineModel = engineModels.get(this);
    engineModels.delete(this);
    await engineModel?.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
