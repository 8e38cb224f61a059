/**
 * mullama's generation options as an OpenAI-compatible request body. The standard fields
 * (`max_tokens`, `temperature`, `top_p`, `seed`, `stop`) always go; the llama.cpp-style
 * samplers (`top_k`, `min_p`, `repeat_penalty`) go only when the caller set them, since
 * OpenAI itself refuses fields it does not know. `stream_options.include_usage` asks for
 * the token counts, which the result reports.
 */
import { z } from "zod";
import type { ResolvedGenerationOptions } from "../generation/options.js";
import type { GenerationOptions } from "../generation/options.js";
import { parseArgument } from "../validation.js";

/** One message of {@link RemoteContext.chat}. */
export interface RemoteChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

const chatMessagesSchema = z
  .array(z.strictObject({ role: z.enum(["system", "user", "assistant"]), content: z.string() }), { error: "expected an array of {role, content} messages" })
  .min(1, "give at least one message");

export function parseChatMessages(messages: unknown): RemoteChatMessage[] {
  return parseArgument(chatMessagesSchema, messages, "messages");
}

/** The body of a streamed `/completions` or `/chat/completions` request. */
export function requestBody(model: string, input: { prompt: string | readonly number[] } | { messages: readonly RemoteChatMessage[] }, options: GenerationOptions, resolved: ResolvedGenerationOptions): Record<string, unknown> {
  return {
    model,
    ...input,
    stream: true,
    stream_options: { include_usage: true },
    ...(resolved.maxTokens === undefined ? {} : { max_tokens: resolved.maxTokens }),
    temperature: resolved.temperature,
    top_p: resolved.topP,
    seed: resolved.seed,
    ...(resolved.stop.length === 0 ? {} : { stop: resolved.stop }),
    ...(options.topK === undefined ? {} : { top_k: resolved.topK }),
    ...(options.minP === undefined ? {} : { min_p: resolved.minP }),
    ...(options.repeatPenalty === undefined ? {} : { repeat_penalty: resolved.repeatPenalty }),
  };
}
