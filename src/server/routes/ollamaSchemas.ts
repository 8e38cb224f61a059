/**
 * Request bodies of the Ollama-compatible routes, and the mapping of Ollama's `options`
 * onto generation options. Options that only tune how Ollama loads a model (`num_ctx`,
 * `num_gpu`, `num_thread`...) are fixed by this server's flags and accepted without
 * effect; sampling options it cannot honour are refused with a 400 when set to anything
 * but their neutral value.
 */
import { z } from "zod";
import { keepAliveSchema } from "../models/keepAlive.js";
import type { GenerationOptions } from "../../generation/options.js";
import { unsupported } from "../httpErrors.js";
import { formatSchema, messageToolCallsSchema, toolsSchema } from "./ollamaTools.js";

const stopString = z.string().min(1, "stop strings must not be empty").refine((text) => text.isWellFormed(), "stop strings must be well-formed Unicode");

/** Ollama's `options`, shared by every route that takes them (the embedding routes accept and ignore them). */
export const ollamaOptionsSchema = z.strictObject({
  num_predict: z.number().int("expected an integer").min(-2, "must be -1 (no limit) or a positive number").nullish(),
  temperature: z.number().min(0, "must not be negative").nullish(),
  top_k: z.number().int("expected an integer").min(0, "must not be negative").nullish(),
  top_p: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").nullish(),
  min_p: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").nullish(),
  repeat_penalty: z.number().positive("must be positive").nullish(),
  seed: z.number().int("expected an integer").nullish(),
  stop: z.array(stopString).max(12, "at most 12 stop strings").nullish(),
  // Set when the model is loaded (the server's flags); accepted without effect.
  num_ctx: z.number().nullish(),
  num_batch: z.number().nullish(),
  num_gpu: z.number().nullish(),
  main_gpu: z.number().nullish(),
  num_thread: z.number().nullish(),
  num_keep: z.number().nullish(),
  use_mmap: z.boolean().nullish(),
  numa: z.boolean().nullish(),
  /** Tokens the penalties look back over: 0 turns them off, -1 means the whole context. */
  repeat_last_n: z.number().int("expected an integer").min(-1, "must be -1 (the whole context), 0 (off) or a positive number").nullish(),
  presence_penalty: z.number().min(-2, "must be between -2 and 2").max(2, "must be between -2 and 2").nullish(),
  frequency_penalty: z.number().min(-2, "must be between -2 and 2").max(2, "must be between -2 and 2").nullish(),
  // Refused unless neutral.
  typical_p: z.number().nullish(),
  mirostat: z.number().nullish(),
  mirostat_tau: z.number().nullish(),
  mirostat_eta: z.number().nullish(),
  penalize_newline: z.boolean().nullish(),
});

const common = {
  model: z.string({ error: "expected the model's name" }).min(1, "must not be empty"),
  stream: z.boolean().nullish(),
  options: ollamaOptionsSchema.nullish(),
  /** How long the model stays loaded after this request (see models/keepAlive.ts), in milliseconds once parsed. */
  keep_alive: keepAliveSchema.nullish(),
  /** `"json"` or a JSON Schema the answer must match (ollamaTools.ts). */
  format: formatSchema.nullish(),
  think: z.union([z.boolean(), z.enum(["high", "medium", "low"])]).nullish(),
  /** Whether each chunk carries its tokens' log-probabilities. */
  logprobs: z.boolean().nullish(),
  /** Most likely alternatives listed per token; needs `logprobs: true`. */
  top_logprobs: z.number().int("expected an integer").min(0, "must be between 0 and 20").max(20, "must be between 0 and 20").nullish(),
};

export const generateRequestSchema = z.strictObject({
  ...common,
  prompt: z.string().nullish(),
  system: z.string().nullish(),
  /** Token ids of an earlier answer's `context`: the conversation so far (range-checked by the context). */
  context: z.array(z.number().int("token ids are integers")).nullish(),
  raw: z.boolean().nullish(),
  suffix: z.unknown().optional(),
  template: z.unknown().optional(),
  images: z.unknown().optional(),
});

const chatMessage = z.looseObject({
  role: z.enum(["system", "user", "assistant", "tool"], { error: "expected system, user or assistant" }),
  content: z.string({ error: "expected a string" }),
  tool_calls: messageToolCallsSchema.nullish(),
  /** On `tool` messages: the tool whose result this is. */
  tool_name: z.string().nullish(),
  /** An earlier answer's thinking; models without a thinking format have none to render. */
  thinking: z.string().nullish(),
});

export const chatRequestSchema = z.strictObject({
  ...common,
  messages: z.array(chatMessage).nullish(),
  tools: toolsSchema.nullish(),
});

export const showRequestSchema = z.strictObject({
  model: z.string().min(1, "must not be empty").optional(),
  /** The field's older name. */
  name: z.string().min(1, "must not be empty").optional(),
  verbose: z.boolean().nullish(),
});

export type GenerateRequest = z.output<typeof generateRequestSchema>;
export type ChatRequest = z.output<typeof chatRequestSchema>;
export type ChatRequestMessage = z.output<typeof chatMessage>;
type OllamaOptions = z.output<typeof ollamaOptionsSchema>;

const neutral: [keyof OllamaOptions, unknown][] = [
  ["typical_p", 1],
  ["mirostat", 0],
  ["penalize_newline", false],
];

/**
 * Refuses `think: true` (or a level, taken as `true`) when `why` says it cannot be
 * honoured: a model whose chat format does not separate thinking (Ollama answers 400
 * "does not support thinking" there too), or `/api/generate`, which does not read thinking.
 */
export function refuseThinking(body: GenerateRequest | ChatRequest, why: string | undefined): void {
  if (body.think == null || body.think === false || why === undefined) return;
  throw unsupported("think", `"${body.model}" does not support thinking here: ${why}; send think: false or leave it out`);
}

/** Refuses what cannot be honoured: images, custom templates, non-neutral typical_p and mirostat. */
export function refuseUnsupported(body: GenerateRequest | ChatRequest): void {
  if ("images" in body && body.images != null && !(Array.isArray(body.images) && body.images.length === 0)) throw unsupported("images", "images are not supported");
  if ("template" in body && body.template != null && body.template !== "") throw unsupported("template", "custom templates are not supported; the model's own is used");
  if ("suffix" in body && body.suffix != null && body.suffix !== "") throw unsupported("suffix", "suffix (fill-in-the-middle) is not supported");
  if (body.top_logprobs != null && body.logprobs !== true) throw unsupported("top_logprobs", "top_logprobs needs logprobs: true");
  for (const [name, value] of neutral) {
    const given = body.options?.[name];
    if (given != null && given !== value) throw unsupported(`options.${name}`, `${name} is not supported (only ${String(value)})`);
  }
}

/** `logprobs` and `top_logprobs` as the generation's `logprobs` option. */
export function logprobsOption(body: GenerateRequest | ChatRequest): GenerationOptions {
  return body.logprobs === true ? { logprobs: body.top_logprobs ?? 0 } : {};
}

/** Ollama options to generation options; `num_predict` -1 or -2 means "until the context is full". */
export function generationOptions(given: OllamaOptions | null | undefined, extraStops: readonly string[] = []): GenerationOptions {
  const numPredict = given?.num_predict;
  if (numPredict === 0) throw unsupported("options.num_predict", "num_predict must be -1 (no limit) or a positive number");
  const stop = [...new Set([...(given?.stop ?? []), ...extraStops])];
  return {
    ...(numPredict == null || numPredict < 0 ? {} : { maxTokens: numPredict }),
    ...(given?.temperature == null ? {} : { temperature: given.temperature }),
    ...(given?.top_k == null ? {} : { topK: given.top_k }),
    ...(given?.top_p == null ? {} : { topP: given.top_p }),
    ...(given?.min_p == null ? {} : { minP: given.min_p }),
    ...(given?.repeat_penalty == null ? {} : { repeatPenalty: given.repeat_penalty }),
    ...(given?.presence_penalty == null ? {} : { presencePenalty: given.presence_penalty }),
    ...(given?.frequency_penalty == null ? {} : { frequencyPenalty: given.frequency_penalty }),
    // -1 is the whole context: a window as long as any history.
    ...(given?.repeat_last_n == null ? {} : { penaltyWindow: given.repeat_last_n === -1 ? Number.MAX_SAFE_INTEGER : given.repeat_last_n }),
    // Ollama seeds are any integer (-1 and below mean random); the engine takes 32 bits.
    ...(given?.seed == null || given.seed < 0 ? {} : { seed: given.seed % 0x1_0000_0000 }),
    ...(stop.length === 0 ? {} : { stop }),
  };
}
