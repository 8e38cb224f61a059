/**
 * Request bodies of the OpenAI-compatible routes. Supported fields are typed (with
 * llama.cpp's `top_k`, `min_p`, `repeat_penalty` and `cache_prompt`); fields that cannot
 * change the answer (`store`, `metadata`, `service_tier`, `user`...) are accepted and
 * ignored; tools and response formats are typed in openaiTools.ts; log-probabilities,
 * penalties and logit biases are honoured; fields of the OpenAI API this server cannot
 * honour (the deprecated `functions`, `echo`, `suffix`) are accepted by the schema only to
 * be refused with a 400 that names them, instead of being silently ignored. Any other field is refused as unknown,
 * as OpenAI does. `null` means "not given", as OpenAI's clients send it.
 */
import { z } from "zod";
import { unsupported } from "../httpErrors.js";
import { messageToolCallsSchema, responseFormatSchema, toolChoiceSchema, toolsSchema } from "./openaiTools.js";

/** Most stop strings a request may give (OpenAI's limit); the chat format's own are added on top. */
export const maxStopStrings = 4;

const stopString = z.string().min(1, "stop strings must not be empty").refine((text) => text.isWellFormed(), "stop strings must be well-formed Unicode");

const penalty = z.number().min(-2, "must be between -2 and 2").max(2, "must be between -2 and 2").nullish();

/** Most alternatives per token a request may ask for (OpenAI's limit). */
export const maxTopLogprobs = 20;

const sampling = {
  model: z.string({ error: "expected the model's name" }).min(1, "must not be empty"),
  max_tokens: z.number().int("expected an integer").min(1, "must be at least 1").max(Number.MAX_SAFE_INTEGER).nullish(),
  temperature: z.number().min(0, "must be between 0 and 2").max(2, "must be between 0 and 2").nullish(),
  top_p: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").nullish(),
  seed: z.number().int("expected an integer").min(0, "must not be negative").max(0xffff_ffff, "must fit in 32 bits").nullish(),
  stop: z.union([stopString, z.array(stopString).max(maxStopStrings, `at most ${maxStopStrings} stop strings`)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().nullish(), include_obfuscation: z.boolean().nullish() }).nullish(),
  /** An end-user id, for the caller's own abuse tracking; accepted and logged, nothing else. */
  user: z.string().nullish(),
  // llama.cpp's sampling extras, honoured.
  top_k: z.number().int("expected an integer").min(0, "must not be negative").nullish(),
  min_p: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").nullish(),
  repeat_penalty: z.number().positive("must be positive").nullish(),
  presence_penalty: penalty,
  frequency_penalty: penalty,
  /** Token id (as a string) -> bias added to its logit, -100 (ban) to 100. */
  logit_bias: z.record(z.string().regex(/^(0|[1-9][0-9]*)$/, "keys must be token ids"), z.number().min(-100, "must be between -100 and 100").max(100, "must be between -100 and 100")).nullish(),
  // Accepted and ignored: none of them can change the answer. `cache_prompt` (llama.cpp)
  // is what this server always does; the rest are OpenAI's bookkeeping.
  cache_prompt: z.boolean().nullish(),
  store: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  service_tier: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  /** Choices to generate, in parallel sequences; at most the model's context has (checked by the route). */
  n: z.number().int("expected an integer").min(1, "must be at least 1").max(128, "must be at most 128").nullish(),
};

const contentPart = z.looseObject({ type: z.string() });

const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"], { error: "expected system, developer, user, assistant or tool" }),
  content: z.union([z.string(), z.array(contentPart)]).nullish(),
  name: z.string().optional(),
  /** On `tool` messages: the call this is the result of. */
  tool_call_id: z.string().optional(),
  /** On `assistant` messages: the tools it called. */
  tool_calls: messageToolCallsSchema.nullish(),
});

export const chatCompletionRequestSchema = z.strictObject({
  ...sampling,
  messages: z.array(message).min(1, "must contain at least one message"),
  max_completion_tokens: sampling.max_tokens,
  /** Only text comes out of this server; asking for audio is refused by the schema. */
  modalities: z.array(z.literal("text", { error: 'only "text" output is supported' })).nullish(),
  // Hints to OpenAI's reasoning models and its speculative decoding; accepted and ignored.
  reasoning_effort: z.string().nullish(),
  verbosity: z.string().nullish(),
  prediction: z.looseObject({ type: z.string() }).nullish(),
  tools: toolsSchema.nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  /** Accepted; a forced turn (tool_choice "required" or a named tool) makes exactly one call. */
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormatSchema.nullish(),
  /** Whether each token's log-probability comes with the answer (`choices[].logprobs.content`). */
  logprobs: z.boolean().nullish(),
  /** Most likely alternatives listed per token; needs `logprobs: true`. */
  top_logprobs: z.number().int("expected an integer").min(0, `must be between 0 and ${maxTopLogprobs}`).max(maxTopLogprobs, `must be between 0 and ${maxTopLogprobs}`).nullish(),
  functions: z.unknown().optional(),
  function_call: z.unknown().optional(),
});

export const completionRequestSchema = z.strictObject({
  ...sampling,
  // Token arrays before string arrays: a union checks its options in order, and a failed
  // option costs a check (and an issue) per element, 0.2 ms for a 512-token prompt.
  prompt: z.union([
    z.string(),
    z.array(z.number().int("token ids are integers")),
    z.array(z.array(z.number().int("token ids are integers"))),
    z.array(z.string()),
  ]),
  /** Log-probabilities of each token and this many alternatives (`choices[].logprobs`). */
  logprobs: z.number().int("expected an integer").min(0, `must be between 0 and ${maxTopLogprobs}`).max(maxTopLogprobs, `must be between 0 and ${maxTopLogprobs}`).nullish(),
  /** As on chat completions (vLLM and llama.cpp's server take it here too); the output follows the schema. */
  response_format: responseFormatSchema.nullish(),
  echo: z.unknown().optional(),
  suffix: z.unknown().optional(),
  best_of: z.unknown().optional(),
});

export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
export type CompletionRequest = z.output<typeof completionRequestSchema>;
export type ChatRequestMessage = z.output<typeof message>;

/** A field that is fine only at its neutral value; anything else is a 400 naming it. */
interface Refusal {
  param: string;
  accepts: (value: unknown) => boolean;
  reason: string;
}

const absent = (value: unknown) => value === undefined || value === null;
const isOne = (value: unknown) => absent(value) || value === 1;
const isFalse = (value: unknown) => absent(value) || value === false;
const isEmptyArray = (value: unknown) => absent(value) || (Array.isArray(value) && value.length === 0);

const commonRefusals: Refusal[] = [
];

const chatRefusals: Refusal[] = [
  ...commonRefusals,
  { param: "top_logprobs", accepts: absent, reason: "top_logprobs needs logprobs: true" },
  { param: "functions", accepts: isEmptyArray, reason: "functions are deprecated by OpenAI and not supported; send tools" },
  { param: "function_call", accepts: (value) => absent(value) || value === "none", reason: "function_call is deprecated by OpenAI and not supported; send tool_choice" },
];

const completionRefusals: Refusal[] = [
  ...commonRefusals,
  { param: "echo", accepts: isFalse, reason: "echo is not supported" },
  { param: "suffix", accepts: (value) => absent(value) || value === "", reason: "suffix (fill-in-the-middle) is not supported" },
  { param: "best_of", accepts: isOne, reason: "best_of > 1 is not supported" },
];

/** Throws a 400 naming the first field that asks for something this server cannot do. */
export function refuseUnsupported(body: Record<string, unknown>, kind: "chat" | "completion"): void {
  const refusals = kind === "chat" && body.logprobs === true ? chatRefusals.filter((refusal) => refusal.param !== "top_logprobs") : kind === "chat" ? chatRefusals : completionRefusals;
  for (const refusal of refusals) {
    if (!refusal.accepts(body[refusal.param])) throw unsupported(refusal.param, refusal.reason);
  }
  if (!absent(body.stream_options) && body.stream !== true) throw unsupported("stream_options", "stream_options is only allowed when stream is true");
}
