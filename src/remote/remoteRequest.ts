/**
 * mullama's generation options as an OpenAI-compatible request body. The standard fields
 * (`max_tokens`, `temperature`, `top_p`, `seed`, `stop`) always go; the llama.cpp-style
 * samplers (`top_k`, `min_p`, `repeat_penalty`) and the penalties and biases go only when the caller set them, since
 * OpenAI itself refuses fields it does not know. `stream_options.include_usage` asks for
 * the token counts, which the result reports. A JSON schema goes as OpenAI's
 * `response_format` (vLLM, llama.cpp's server and mullama take it on both routes), strict so
 * that an engine able to enforce it does; a GBNF grammar has no portable field and is
 * refused before anything is sent (RemoteContext).
 */
import type { ChatMessage, ChatTool, ToolChoice } from "../chat/chatOptions.js";
import { InvalidArgumentError } from "../errors.js";
import { generationDefaults, type GenerationOptions, type ResolvedGenerationOptions } from "../generation/options.js";

/**
 * `context.chat`'s messages in OpenAI's words: an assistant's tool calls become
 * `tool_calls` (arguments as a JSON string), a tool result a `tool` message with its
 * `tool_call_id`.
 */
export function openAiMessages(messages: readonly ChatMessage[]): Record<string, unknown>[] {
  return messages.map((message) => {
    if (message.role === "tool") return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
    if (message.role === "assistant" && message.toolCalls !== undefined && message.toolCalls.length > 0) {
      const tool_calls = message.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) } }));
      return { role: "assistant", content: message.content, tool_calls };
    }
    return { role: message.role, content: message.content };
  });
}

/** A chat's tools and tool choice in OpenAI's words; nothing when no tool is offered. */
export function openAiTools(tools: ReadonlyMap<string, ChatTool>, choice: ToolChoice): { tools?: Record<string, unknown>[]; tool_choice?: unknown } {
  if (tools.size === 0) return {};
  const offered = [...tools].map(([name, tool]) => ({
    type: "function",
    function: { name, ...(tool.description ? { description: tool.description } : {}), ...(tool.parameters === undefined ? {} : { parameters: tool.parameters }) },
  }));
  return { tools: offered, tool_choice: typeof choice === "object" ? { type: "function", function: { name: choice.name } } : choice };
}

/** The body of a streamed `/completions` or `/chat/completions` request. */
export function requestBody(model: string, input: Record<string, unknown>, options: GenerationOptions, resolved: ResolvedGenerationOptions): Record<string, unknown> {
  // Neither has a place in the remote stream's parts: refused rather than silently dropped.
  if (options.logprobs !== undefined) throw new InvalidArgumentError("options.logprobs", "log-probabilities are not available from a remote engine");
  // The default (64) is llama.cpp's too; another window cannot be asked of an OpenAI-compatible engine.
  if (options.penaltyWindow !== undefined && options.penaltyWindow !== generationDefaults.penaltyWindow) {
    throw new InvalidArgumentError("options.penaltyWindow", `an OpenAI-compatible engine takes no penalty window (only the default, ${generationDefaults.penaltyWindow})`);
  }
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
    ...(options.presencePenalty === undefined ? {} : { presence_penalty: resolved.presencePenalty }),
    ...(options.frequencyPenalty === undefined ? {} : { frequency_penalty: resolved.frequencyPenalty }),
    ...(resolved.logitBias.size === 0 ? {} : { logit_bias: Object.fromEntries(resolved.logitBias) }),
    ...(resolved.jsonSchema === undefined ? {} : { response_format: responseFormat(resolved.jsonSchema) }),
  };
}

/** OpenAI's structured-output request for `schema`; the name is required by OpenAI and means nothing here. */
export function responseFormat(schema: object): Record<string, unknown> {
  return { type: "json_schema", json_schema: { name: "output", schema, strict: true } };
}
