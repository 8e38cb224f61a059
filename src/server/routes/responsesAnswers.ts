/**
 * The Responses API's `response` object and its output items, shared by the whole answer
 * (`POST /v1/responses` without `stream`) and the stream's `response.*` events
 * (responsesStream.ts), so both describe one answer the same way. Output items: a
 * `message` with one `output_text` part, and a `function_call` per tool call (its
 * `call_id` is the id a `function_call_output` item answers). `output_text`, the
 * concatenated text, is a convenience that OpenAI's clients compute themselves.
 */
import { randomBytes } from "node:crypto";
import type { GenerationResult, StopReason } from "../../generation/events.js";
import type { ResponseRequest } from "./responsesSchemas.js";

/** What every `response` object of one answer repeats: its id, time, model and the request's settings. */
export interface ResponseEcho {
  id: string;
  created_at: number;
  model: string;
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  tool_choice: unknown;
  tools: unknown[];
  text: { format: unknown };
  user?: string;
}

export type ItemStatus = "in_progress" | "completed" | "incomplete";

/** An id in OpenAI's style: a prefix (`resp`, `msg`, `fc`) and random hex. */
export function newItemId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString("hex")}`;
}

export function responseEcho(body: ResponseRequest): ResponseEcho {
  return {
    id: newItemId("resp"),
    created_at: Math.floor(Date.now() / 1000),
    model: body.model,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    text: { format: body.text?.format ?? { type: "text" } },
    ...(body.user == null ? {} : { user: body.user }),
  };
}

/** A `response` object. `usage` is null until the answer is complete. */
export function responseObject(echo: ResponseEcho, status: ItemStatus, output: readonly unknown[], result?: GenerationResult) {
  return {
    ...echo,
    object: "response",
    status,
    ...(status === "in_progress" ? {} : { completed_at: Math.floor(Date.now() / 1000) }),
    error: null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    output,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    // Nothing is stored, whatever the request asked: it says so.
    store: false,
    truncation: "disabled",
    usage: result === undefined ? null : usage(result),
  };
}

/** The whole answer of a non-streamed request. */
export function completedResponse(echo: ResponseEcho, result: GenerationResult) {
  const status = responseStatus(result.stopReason);
  const calls = result.toolCalls ?? [];
  const output: unknown[] = calls.map((call) => functionCallItem(newItemId("fc"), call.id, call.name, call.argumentsText, "completed"));
  if (result.text !== "" || calls.length === 0) output.unshift(messageItem(newItemId("msg"), result.text, status));
  return responseObject(echo, status, output, result);
}

/** `incomplete` when `max_output_tokens` cut the answer; `completed` otherwise. */
export function responseStatus(stopReason: StopReason): "completed" | "incomplete" {
  return stopReason === "maxTokens" ? "incomplete" : "completed";
}

export function outputTextPart(text: string) {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

export function messageItem(id: string, text: string, status: ItemStatus) {
  return { id, type: "message", status, role: "assistant", content: [outputTextPart(text)] };
}

export function functionCallItem(id: string, callId: string, name: string, argumentsText: string, status: ItemStatus) {
  return { id, type: "function_call", status, call_id: callId, name, arguments: argumentsText };
}

function usage(result: GenerationResult) {
  return {
    input_tokens: result.promptTokens,
    input_tokens_details: { cached_tokens: result.cachedPromptTokens },
    output_tokens: result.tokenCount,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: result.promptTokens + result.tokenCount,
  };
}
