/**
 * OpenAI's answer shapes: the whole completion (`chat.completion`, `text_completion`) and
 * the stream's wire format. Streams are SSE chunks with one `id` and `created`, the role
 * in the first delta (sent as soon as the request is accepted), tool calls as
 * `delta.tool_calls` (a call's index, id, type and name first, then its arguments in
 * pieces as they are generated), thinking as `delta.reasoning_content`, `finish_reason` (`stop`, `length` or `tool_calls`) in
 * the last choice chunk, a usage chunk with `choices: []` when
 * `stream_options.include_usage` is set, then `data: [DONE]`. A failure is a `data:`
 * event with a top-level `error` and nothing after it; so is a generation cut short by
 * the server (OpenAI's finish reasons cannot say "aborted", and a client must not take a
 * cut answer for a whole one).
 */
import { describeError } from "../../errorPolicy.js";
import type { GenerationResult, StopReason } from "../../generation/events.js";
import type { TextPart } from "../../generation/parts.js";
import type { ChoicePart } from "../../streaming/choiceStreams.js";
import type { WireFormat } from "../../streaming/transport.js";
import { formatServerSentComment, formatServerSentEvent } from "../../streaming/sse.js";
import { cancellation, errorBody } from "../httpErrors.js";
import type { ServedModel } from "../servedModel.js";
import { chatLogprobs, completionLogprobs } from "./openaiLogprobs.js";

export type CompletionKind = "chat" | "completion";

/** What every chunk of one answer repeats. */
export interface AnswerIdentity {
  id: string;
  created: number;
  model: string;
}

export function completionBody(kind: CompletionKind, identity: AnswerIdentity, result: GenerationResult): unknown {
  return choicesBody(kind, identity, [result]);
}

/** The whole answer with one choice per generation (OpenAI's `n`), in index order; log-probabilities when the request asked for them. */
export function choicesBody(kind: CompletionKind, identity: AnswerIdentity, results: readonly GenerationResult[]): unknown {
  const choices = results.map((result, index) => {
    const finish_reason = finishReason(result.stopReason);
    const logprobs = result.logprobs === undefined ? null : kind === "chat" ? chatLogprobs(result.logprobs) : completionLogprobs(result.logprobs, 0);
    return kind === "chat" ? { index, message: assistantMessage(result), logprobs, finish_reason } : { index, text: result.text, logprobs, finish_reason };
  });
  return { ...identity, object: kind === "chat" ? "chat.completion" : "text_completion", choices, usage: usage(results) };
}

/** Which choice a stream format writes, and whether it also writes the stream's end (usage, `[DONE]`). */
interface ChoiceSlot {
  index: number;
  last: boolean;
}

export function openAiStreamFormat(kind: CompletionKind, identity: AnswerIdentity, includeUsage: boolean, served: Pick<ServedModel, "digest">, slot: ChoiceSlot = { index: 0, last: true }): WireFormat<string> {
  const { object, system_fingerprint, usageField } = chunkFields(kind, served, includeUsage);
  const chunk = (choice: Record<string, unknown>) => data({ ...identity, object, system_fingerprint, choices: [{ index: slot.index, logprobs: null, ...choice }], ...usageField });
  // Where the next streamed token starts in the answer's text (the completions API's text_offset).
  let textOffset = 0;
  const textChunk = (part: TextPart) => {
    const choice = textChoice(part.text, null);
    if (part.logprobs === undefined) return chunk(choice);
    const logprobs = kind === "chat" ? chatLogprobs(part.logprobs) : completionLogprobs(part.logprobs, textOffset);
    textOffset += part.text.length;
    return chunk({ ...choice, logprobs });
  };
  const textChoice = (text: string, finish: string | null) =>
    kind === "chat" ? { delta: text === "" && finish !== null ? {} : { content: text }, finish_reason: finish } : { text, finish_reason: finish };
  const failure = (error: unknown) => data(errorBody(describeError(error), "openai"));
  // A call's index in delta.tool_calls, by its id: the order the calls began in.
  const callIndexes = new Map<string, number>();
  const toolCallDelta = (call: Record<string, unknown>) => chunk({ delta: { tool_calls: [call] }, finish_reason: null });
  return {
    ...(kind === "chat" ? { opening: chunk({ delta: { role: "assistant", content: "" }, finish_reason: null }) } : {}),
    keepAlive: formatServerSentComment("keep-alive"),
    format(part) {
      switch (part.type) {
        case "text":
          return part.text === "" ? undefined : textChunk(part);
        case "reasoning":
          // The field llama.cpp's server, vLLM and DeepSeek's API stream thinking in.
          return part.text === "" ? undefined : chunk({ delta: { reasoning_content: part.text }, finish_reason: null });
        case "tool-call-start":
          callIndexes.set(part.id, callIndexes.size);
          return toolCallDelta({ index: callIndexes.get(part.id), id: part.id, type: "function", function: { name: part.name, arguments: "" } });
        case "tool-call-delta":
          return part.argumentsDelta === "" ? undefined : toolCallDelta({ index: callIndexes.get(part.id), function: { arguments: part.argumentsDelta } });
        case "tool-call":
          // Its arguments went out as deltas already.
          return undefined;
        case "finish": {
          const result = part.result;
          // One of several choices: its own end only; the stream's end follows the last choice.
          if (!slot.last) return result.stopReason === "abort" ? undefined : chunk(textChoice("", finishReason(result.stopReason)));
          if (result.stopReason === "abort") return failure(cancellation(part.abortReason));
          return chunk(textChoice("", finishReason(result.stopReason))) + streamEnd(kind, identity, includeUsage, served, [result]);
        }
        case "error":
          return failure(part.error);
      }
    },
  };
}

/**
 * The stream of `count` choices generated at once (OpenAI's `n`): each choice's chunks
 * carry its `index` and come as they are generated, interleaved; each choice ends with
 * its own `finish_reason`; usage (every choice's tokens) and `[DONE]` come once, last.
 */
export function openAiChoicesFormat(kind: CompletionKind, identity: AnswerIdentity, includeUsage: boolean, served: Pick<ServedModel, "digest">, count: number): WireFormat<string, ChoicePart, GenerationResult[]> {
  const choices = Array.from({ length: count }, (_, index) => openAiStreamFormat(kind, identity, includeUsage, served, { index, last: false }));
  const failure = (error: unknown) => data(errorBody(describeError(error), "openai"));
  return {
    ...(kind === "chat" ? { opening: choices.map((choice) => choice.opening).join("") } : {}),
    keepAlive: formatServerSentComment("keep-alive"),
    format(part) {
      switch (part.type) {
        case "choice":
          return choices[part.index]!.format(part.part);
        case "finish":
          if (part.result.some((result) => result.stopReason === "abort")) return failure(cancellation(part.abortReason));
          return streamEnd(kind, identity, includeUsage, served, part.result);
        case "error":
          return failure(part.error);
      }
    },
  };
}

function chunkFields(kind: CompletionKind, served: Pick<ServedModel, "digest">, includeUsage: boolean) {
  return {
    object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
    system_fingerprint: `mullama-${served.digest.slice(0, 12)}`,
    // With include_usage, OpenAI sends `usage: null` on every chunk but the last.
    usageField: includeUsage ? { usage: null } : {},
  };
}

/** After the last choice's last chunk: the usage chunk (`choices: []`) when asked for, then `[DONE]`. */
function streamEnd(kind: CompletionKind, identity: AnswerIdentity, includeUsage: boolean, served: Pick<ServedModel, "digest">, results: readonly GenerationResult[]): string {
  const { object, system_fingerprint } = chunkFields(kind, served, includeUsage);
  const usageChunk = includeUsage ? data({ ...identity, object, system_fingerprint, choices: [], usage: usage(results) }) : "";
  return usageChunk + formatServerSentEvent({ data: "[DONE]" });
}

function data(value: unknown): string {
  return formatServerSentEvent({ data: JSON.stringify(value) });
}

/** `length` when max_tokens cut the text; `tool_calls` when the turn ended to call tools; `stop` for the end of the turn or a stop string. */
function finishReason(stopReason: StopReason): "stop" | "length" | "tool_calls" {
  if (stopReason === "toolCalls") return "tool_calls";
  return stopReason === "maxTokens" ? "length" : "stop";
}

/** The whole answer's message: its text, or, when it called tools, `content: null` and the calls; the thinking in `reasoning_content`. */
function assistantMessage(result: GenerationResult) {
  const calls = result.toolCalls ?? [];
  const reasoning = result.reasoning === undefined ? {} : { reasoning_content: result.reasoning };
  if (calls.length === 0) return { role: "assistant", content: result.text, refusal: null, ...reasoning };
  const tool_calls = calls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.argumentsText } }));
  return { role: "assistant", content: result.text === "" ? null : result.text, refusal: null, ...reasoning, tool_calls };
}

/** The prompt counts once (every choice continues the same prompt); the choices' tokens add up. */
function usage(results: readonly GenerationResult[]) {
  const first = results[0]!;
  const completion = results.reduce((sum, result) => sum + result.tokenCount, 0);
  return {
    prompt_tokens: first.promptTokens,
    completion_tokens: completion,
    total_tokens: first.promptTokens + completion,
    prompt_tokens_details: { cached_tokens: first.cachedPromptTokens },
  };
}
