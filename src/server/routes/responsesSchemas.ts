/**
 * The request body of `POST /v1/responses` (OpenAI's Responses API), stateless. Fields that
 * shape the answer are typed and honoured; fields that cannot change it (`store`: nothing
 * is stored, whatever it says; `metadata`, `user`, `service_tier`, `reasoning` hints for
 * models that do not reason, cache keys...) are accepted and ignored; fields that would
 * silently change the answer if ignored (`previous_response_id` and `conversation`, which
 * need stored state; `background`; `prompt` templates kept at OpenAI; automatic
 * truncation; log-probabilities) are refused with a 400 that names them. Any other field
 * is refused as unknown. Input items are checked one by one in responsesInput.ts.
 */
import { z } from "zod";
import { unsupported } from "../httpErrors.js";

const jsonSchemaObject = z.record(z.string(), z.unknown());

/** A tool: functions are typed in responsesInput.ts; built-in tools (web_search...) are refused there by name. */
const tool = z.looseObject({ type: z.string() });

export const functionToolSchema = z.strictObject({
  type: z.literal("function"),
  name: z.string().min(1, "must not be empty"),
  description: z.string().nullish(),
  parameters: jsonSchemaObject.nullish(),
  /** Forced calls always follow the schema (a grammar); `strict` asks for nothing more. */
  strict: z.boolean().nullish(),
});

const toolChoice = z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string(), name: z.string().optional() })]);

const textFormat = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("text") }),
    z.strictObject({ type: z.literal("json_object") }),
    z.strictObject({
      type: z.literal("json_schema"),
      name: z.string().min(1, "must not be empty"),
      description: z.string().nullish(),
      schema: jsonSchemaObject,
      /** Output always follows the schema (a grammar), strict or not. */
      strict: z.boolean().nullish(),
    }),
  ],
  { error: 'expected "text", "json_object" or "json_schema"' },
);

export const responseRequestSchema = z.strictObject({
  model: z.string({ error: "expected the model's name" }).min(1, "must not be empty"),
  /** A user message, or a list of input items (messages, function calls and their outputs). */
  input: z.union([z.string(), z.array(z.unknown()).min(1, "must contain at least one item")]),
  /** A system message put before the input. */
  instructions: z.string().nullish(),
  max_output_tokens: z.number().int("expected an integer").min(1, "must be at least 1").max(Number.MAX_SAFE_INTEGER).nullish(),
  temperature: z.number().min(0, "must be between 0 and 2").max(2, "must be between 0 and 2").nullish(),
  top_p: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  /** Accepted; a forced turn (tool_choice "required" or a named function) makes exactly one call. */
  parallel_tool_calls: z.boolean().nullish(),
  text: z.strictObject({ format: textFormat.nullish(), verbosity: z.string().nullish() }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_obfuscation: z.boolean().nullish() }).nullish(),
  /** An end-user id; accepted and logged, nothing else. */
  user: z.string().nullish(),
  // Accepted and ignored: none of them can change the answer. Nothing is ever stored.
  store: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  service_tier: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  prompt_cache_retention: z.string().nullish(),
  prompt_cache_options: z.looseObject({}).nullish(),
  /** Reasoning hints: the models served here do not reason in OpenAI's sense. */
  reasoning: z.looseObject({ effort: z.string().nullish(), summary: z.string().nullish() }).nullish(),
  // Refused unless they ask for what the server does anyway (checked by refuseUnsupportedResponseFields).
  previous_response_id: z.unknown().optional(),
  conversation: z.unknown().optional(),
  background: z.unknown().optional(),
  prompt: z.unknown().optional(),
  truncation: z.unknown().optional(),
  include: z.unknown().optional(),
  top_logprobs: z.unknown().optional(),
});

export type ResponseRequest = z.output<typeof responseRequestSchema>;
export type FunctionTool = z.output<typeof functionToolSchema>;

const absent = (value: unknown) => value === undefined || value === null;
/** `include` entries that add nothing this server would fill (no reasoning, no built-in tools) and so change nothing. */
const harmlessIncludes = new Set(["reasoning.encrypted_content"]);

const refusals: { param: string; accepts: (value: unknown) => boolean; reason: string }[] = [
  { param: "previous_response_id", accepts: absent, reason: "previous_response_id is not supported: this server stores no responses; send the whole conversation as input items" },
  { param: "conversation", accepts: absent, reason: "conversation is not supported: this server stores no conversations; send the whole conversation as input items" },
  { param: "background", accepts: (value) => absent(value) || value === false, reason: "background responses are not supported: they need stored responses; stream instead" },
  { param: "prompt", accepts: absent, reason: "prompt templates are stored at OpenAI and not available here; send instructions and input" },
  { param: "truncation", accepts: (value) => absent(value) || value === "disabled", reason: 'truncation "auto" is not supported: an input too long for the context is refused, never cut' },
  { param: "top_logprobs", accepts: (value) => absent(value) || value === 0, reason: "top_logprobs are not supported on /v1/responses" },
  {
    param: "include",
    accepts: (value) => absent(value) || (Array.isArray(value) && value.every((entry) => harmlessIncludes.has(entry as string))),
    reason: "include is supported only for reasoning.encrypted_content (there is nothing to include: no log-probabilities, no built-in tools)",
  },
];

/** Throws a 400 naming the first field that asks for something this server cannot do. */
export function refuseUnsupportedResponseFields(body: ResponseRequest): void {
  for (const refusal of refusals) {
    if (!refusal.accepts(body[refusal.param as keyof ResponseRequest])) throw unsupported(refusal.param, refusal.reason);
  }
  if (!absent(body.stream_options) && body.stream !== true) throw unsupported("stream_options", "stream_options is only allowed when stream is true");
}
