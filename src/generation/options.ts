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
  /** Divides the logits of tokens seen in the last 64 tokens; 1 disables. Defaults to 1 (off). */
  repeatPenalty?: number;
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
  /** Constrains the output token by token to this GBNF grammar (llama.cpp's grammar format; the rule `root` starts). Defaults to none. */
  grammar?: string;
}

export const generationDefaults = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1,
  wait: true,
  addBos: true,
} as const;

/** Tokens a repeat penalty looks back over (llama.cpp's `repeat_last_n`). */
export const repeatPenaltyWindow = 64;

const probability = () => finiteNumber().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");

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
  seed: nonNegativeInteger().max(0xffff_ffff, "must fit in 32 bits").optional(),
  stop: z.union([wellFormedString, z.array(wellFormedString).max(16, "at most 16 stop strings")]).optional(),
  signal: abortSignal().optional(),
  wait: z.boolean().optional(),
  addBos: z.boolean().optional(),
  observer: z.custom<StreamObserver>(isObserver, { error: "expected an object with onFirstToken, onPart or onFinish functions" }).optional(),
  jsonSchema: z.custom<object>((value) => typeof value === "object" && value !== null && !Array.isArray(value), { error: "expected a JSON Schema object" }).optional(),
  grammar: z.string().min(1, "must not be empty").optional(),
});

/** Options after validation, with every default applied (`maxTokens` is resolved per prompt). */
export interface ResolvedGenerationOptions {
  maxTokens: number | undefined;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repeatPenalty: number;
  seed: number;
  stop: readonly string[];
  signal: AbortSignal | undefined;
  wait: boolean;
  addBos: boolean;
  observer: StreamObserver | undefined;
  jsonSchema: object | undefined;
  grammar: string | undefined;
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
    seed: parsed.seed ?? contextSeed ?? randomSeed(),
    stop,
    signal: parsed.signal,
    wait: parsed.wait ?? generationDefaults.wait,
    addBos: parsed.addBos ?? generationDefaults.addBos,
    observer: parsed.observer,
    jsonSchema: parsed.jsonSchema,
    grammar: parsed.grammar,
  };
}

function isObserver(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const hooks = value as Record<string, unknown>;
  return ["onFirstToken", "onPart", "onFinish"].every((hook) => hooks[hook] === undefined || typeof hooks[hook] === "function");
}
