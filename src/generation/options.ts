/**
 * Generation options: the schema that validates them, their documented defaults, and
 * their mapping onto the engine's sampler.
 */
import { z } from "zod";
import { InvalidArgumentError } from "../errors.js";
import { abortSignal, finiteNumber, nonNegativeInteger, parseArgument, positiveInteger } from "../validation.js";
import type { StreamObserver } from "./parts.js";

/** Options accepted by `generate`, `generateStreaming` and `stream`. */
export interface GenerationOptions {
  /** Most tokens to generate; more than the context has room for generates until it is full (`stopReason: "maxTokens"`). Defaults to the rest of the sequence's context after the prompt. */
  maxTokens?: number;
  /** Sampling temperature; 0 picks the most likely token every time (greedy). Defaults to 0.8. */
  temperature?: number;
  /** Sample only among the K most likely tokens; 0 disables. Defaults to 40. */
  topK?: number;
  /** Sample only among the most likely tokens whose probabilities add up to P; 1 disables. Defaults to 0.95. */
  topP?: number;
  /** Drop tokens less likely than P times the most likely one; 0 disables. Defaults to 0.05. */
  minP?: number;
  /** Divides the logits of tokens seen in the last `penaltyWindow` tokens; 1 disables. Defaults to 1 (off). */
  repeatPenalty?: number;
  /** Subtracted from the logit of every token seen in the last `penaltyWindow` tokens (OpenAI's `presence_penalty`, -2 to 2; negative favours them). Defaults to 0 (off). */
  presencePenalty?: number;
  /** Subtracted from a token's logit once per time it appears in the last `penaltyWindow` tokens (OpenAI's `frequency_penalty`, -2 to 2). Defaults to 0 (off). */
  frequencyPenalty?: number;
  /** Tokens (prompt and output) the repeat, presence and frequency penalties look back over; 0 turns them all off. Defaults to 64. */
  penaltyWindow?: number;
  /**
   * Added to the logits of the given token ids before sampling (token id -> bias, -100 to
   * 100, OpenAI's `logit_bias`): -100 bans a token, 100 all but forces it. A grammar still
   * wins over a ban. Defaults to none.
   */
  logitBias?: Readonly<Record<number, number>>;
  /**
   * Reports log-probabilities: each text part carries, for each of its tokens, the token's
   * natural-log probability and the `logprobs` most likely alternatives (0 to 20; 0 gives
   * the chosen tokens' only). The probabilities are those the sampler drew from (after
   * temperature, top-k, top-p, min-p, penalties and biases). Costs a little speed per
   * token; off by default.
   */
  logprobs?: number;
  /** Sampling seed: the same seed, prompt and options give the same output. Defaults to the context's seed, else random (reported in the result). */
  seed?: number;
  /** Stop strings: generation ends before the first one, which is never emitted. Defaults to none. */
  stop?: string | readonly string[];
  /** Aborts the generation; it ends within one token with `stopReason: "abort"`. */
  signal?: AbortSignal;
  /** Whether to wait for a free sequence when all are busy (`false` throws SequenceUnavailableError). Defaults to true. */
  wait?: boolean;
  /** Whether to start the prompt with the model's BOS token when the model asks for one. Defaults to true. */
  addBos?: boolean;
  /** Watches the stream without reading it: hooks for the first token, each part and the end. Defaults to none. */
  observer?: StreamObserver;
  /**
   * Constrains the output token by token to JSON matching this JSON Schema, on any model.
   * The engine's grammar compiler handles types, properties, items, enum, const, oneOf/anyOf,
   * $defs/$ref, string lengths and date formats; other keywords are refused
   * (InvalidArgumentError naming them). Give strings a `maxLength` on models that do not
   * close them. Defaults to none.
   */
  jsonSchema?: object;
  /**
   * Called as the prompt is evaluated: after each batch (the context's `batchSize` tokens)
   * with the prompt tokens evaluated so far (those reused from the cache count) and the
   * prompt's length, and once with both equal just before the first token comes out. A
   * prompt that fits one batch gets only that last call. Must not throw. Defaults to none.
   */
  onPromptProgress?: (evaluatedTokens: number, promptTokens: number) => void;
  /** Constrains the output token by token to this GBNF grammar (llama.cpp's grammar format; the rule `root` starts). Defaults to none. */
  grammar?: string;
}

export const generationDefaults = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  penaltyWindow: 64,
  wait: true,
  addBos: true,
} as const;

/** Most alternatives `logprobs` may ask for per token (OpenAI's limit). */
export const maxLogprobs = 20;

const probability = () => finiteNumber().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");

const penalty = () => finiteNumber().min(-2, "must be between -2 and 2").max(2, "must be between -2 and 2");

const logitBias = z.record(
  z.string().regex(/^(0|[1-9][0-9]*)$/, "keys must be token ids"),
  finiteNumber().min(-100, "biases must be between -100 and 100").max(100, "biases must be between -100 and 100"),
);

const wellFormedString = z
  .string()
  .min(1, "stop strings must not be empty")
  .refine((text) => text.isWellFormed(), "stop strings must be well-formed Unicode");

export const generationOptionsSchema = z.strictObject({
  maxTokens: positiveInteger().optional(),
  temperature: finiteNumber().min(0, "must not be negative").optional(),
  topK: nonNegativeInteger().optional(),
  topP: probability().optional(),
  minP: probability().optional(),
  repeatPenalty: finiteNumber().positive("must be positive").optional(),
  presencePenalty: penalty().optional(),
  frequencyPenalty: penalty().optional(),
  penaltyWindow: nonNegativeInteger().optional(),
  logitBias: logitBias.optional(),
  logprobs: nonNegativeInteger().max(maxLogprobs, `must be at most ${maxLogprobs}`).optional(),
  seed: nonNegativeInteger().max(0xffff_ffff, "must fit in 32 bits").optional(),
  stop: z.union([wellFormedString, z.array(wellFormedString).max(16, "at most 16 stop strings")]).optional(),
  signal: abortSignal().optional(),
  wait: z.boolean().optional(),
  addBos: z.boolean().optional(),
  observer: z.custom<StreamObserver>(isObserver, { error: "expected an object with onFirstToken, onPart or onFinish functions" }).optional(),
  jsonSchema: z.custom<object>((value) => typeof value === "object" && value !== null && !Array.isArray(value), { error: "expected a JSON Schema object" }).optional(),
  grammar: z.string().min(1, "must not be empty").optional(),
  onPromptProgress: z.custom<(evaluatedTokens: number, promptTokens: number) => void>((value) => typeof value === "function", { error: "expected a function" }).optional(),
});

/** Options after validation, with every default applied (`maxTokens` is resolved per prompt). */
export interface ResolvedGenerationOptions {
  maxTokens: number | undefined;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repeatPenalty: number;
  presencePenalty: number;
  frequencyPenalty: number;
  penaltyWindow: number;
  /** Token id -> logit bias; empty for none. */
  logitBias: ReadonlyMap<number, number>;
  logprobs: number | undefined;
  seed: number;
  stop: readonly string[];
  signal: AbortSignal | undefined;
  wait: boolean;
  addBos: boolean;
  observer: StreamObserver | undefined;
  jsonSchema: object | undefined;
  grammar: string | undefined;
  onPromptProgress: ((evaluatedTokens: number, promptTokens: number) => void) | undefined;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 0xffff_ffff);
}

export function resolveGenerationOptions(options: unknown, contextSeed: number | undefined): ResolvedGenerationOptions {
  const parsed = parseArgument(generationOptionsSchema, options ?? {}, "options");
  if (parsed.jsonSchema !== undefined && parsed.grammar !== undefined) throw new InvalidArgumentError("options.grammar", "give jsonSchema or grammar, not both");
  const stop = parsed.stop === undefined ? [] : typeof parsed.stop === "string" ? [parsed.stop] : parsed.stop;
  return {
    maxTokens: parsed.maxTokens,
    temperature: parsed.temperature ?? generationDefaults.temperature,
    topK: parsed.topK ?? generationDefaults.topK,
    topP: parsed.topP ?? generationDefaults.topP,
    minP: parsed.minP ?? generationDefaults.minP,
    repeatPenalty: parsed.repeatPenalty ?? generationDefaults.repeatPenalty,
    presencePenalty: parsed.presencePenalty ?? generationDefaults.presencePenalty,
    frequencyPenalty: parsed.frequencyPenalty ?? generationDefaults.frequencyPenalty,
    penaltyWindow: parsed.penaltyWindow ?? generationDefaults.penaltyWindow,
    logitBias: new Map(Object.entries(parsed.logitBias ?? {}).map(([token, bias]) => [Number(token), bias])),
    logprobs: parsed.logprobs,
    seed: parsed.seed ?? contextSeed ?? randomSeed(),
    stop,
    signal: parsed.signal,
    wait: parsed.wait ?? generationDefaults.wait,
    addBos: parsed.addBos ?? generationDefaults.addBos,
    observer: parsed.observer,
    jsonSchema: parsed.jsonSchema,
    grammar: parsed.grammar,
    onPromptProgress: parsed.onPromptProgress,
  };
}

/** Whether any of the repeat, presence and frequency penalties is on (they need the recent tokens). */
export function penalizesRepetition(options: ResolvedGenerationOptions): boolean {
  return options.penaltyWindow > 0 && (options.repeatPenalty !== 1 || options.presencePenalty !== 0 || options.frequencyPenalty !== 0);
}

function isObserver(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const hooks = value as Record<string, unknown>;
  return ["onFirstToken", "onPart", "onFinish"].every((hook) => hooks[hook] === undefined || typeof hooks[hook] === "function");
}
