/**
 * OpenAI's answer shapes: the whole completion (`chat.completion`, `text_completion`) and
 * the stream's wire format. Streams are SSE chunks with one `id` and `created`, the role
 * in the first delta (sent as soon as the request is accepted), `finish_reason` (`stop` or
 * `length`) in the last choice chunk, a usage chunk with `choices: []` when
 * `stream_options.include_usage` is set, then `data: [DONE]`. A failure is a `data:`
 * event with a top-level `error` and nothing after it; so is a generation cut short by
 * the server (OpenAI's finish reasons cannot say "aborted", and a client must not take a
 * cut answer for a whole one).
 */
import { describeError } from "../../errorPolicy.js";
import type { GenerationResult, StopReason } from "../../generation/events.js";
import type { WireFormat } from "../../streaming/transport.js";
import { formatServerSentComment, formatServerSentEvent } from "../../streaming/sse.js";
import { cancellation, errorBody } from "../httpErrors.js";
import type { ServedModel } from "../servedModel.js";

export type CompletionKind = "chat" | "completion";

/** What every chunk of one answer repeats. */
export interface AnswerIdentity {
  id: string;
  created: number;
  model: string;
}

export function completionBody(kind: CompletionKind, identity: AnswerIdentity, result: GenerationResult): unknown {
  const finish_reason = finishReason(result.stopReason);
  const choice =
    kind === "chat"
      ? { index: 0, message: { role: "assistant", content: result.text, refusal: null }, logprobs: null, finish_reason }
      : { index: 0, text: result.text, logprobs: null, finish_reason };
  return { ...identity, object: kind === "chat" ? "chat.completion" : "text_completion", choices: [choice], usage: usage(result) };
}

export function openAiStreamFormat(kind: CompletionKind, identity: AnswerIdentity, includeUsage: boolean, served: ServedModel): WireFormat<string> {
  const object = kind === "chat" ? "chat.completion.chunk" : "text_completion";
  const system_fingerprint = `mullama-${served.digest.slice(0, 12)}`;
  // With include_usage, OpenAI sends `usage: null` on every chunk but the last.
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (choice: Record<string, unknown>) => data({ ...identity, object, system_fingerprint, choices: [{ index: 0, ...choice, logprobs: null }], ...usageField });
  const textChoice = (text: string, finish: string | null) =>
    kind === "chat" ? { delta: text === "" && finish !== null ? {} : { content: text }, finish_reason: finish } : { text, finish_reason: finish };
  const failure = (error: unknown) => data(errorBody(describeError(error), "openai"));
  return {
    ...(kind === "chat" ? { opening: chunk({ delta: { role: "assistant", content: "" }, finish_reason: null }) } : {}),
    keepAlive: formatServerSentComment("keep-alive"),
    format(part) {
      switch (part.type) {
        case "text":
          return part.text === "" ? undefined : chunk(textChoice(part.text, null));
        case "finish": {
          const result = part.result;
          if (result.stopReason === "abort") return failure(cancellation(part.abortReason));
          let out = chunk(textChoice("", finishReason(result.stopReason)));
          if (includeUsage) out += data({ ...identity, object, system_fingerprint, choices: [], usage: usage(result) });
          return out + formatServerSentEvent({ data: "[DONE]" });
        }
        case "error":
          return failure(part.error);
      }
    },
  };
}

function data(value: unknown): string {
  return formatServerSentEvent({ data: JSON.stringify(value) });
}

/** `length` when max_tokens cut the text; `stop` for the end of the turn or a stop string. */
function finishReason(stopReason: StopReason): "stop" | "length" {
  return stopReason === "maxTokens" ? "length" : "stop";
}

function usage(result: GenerationResult) {
  return {
    prompt_tokens: result.promptTokens,
    completion_tokens: result.tokenCount,
    total_tokens: result.promptTokens + result.tokenCount,
    prompt_tokens_details: { cached_tokens: result.cachedPromptTokens },
  };
}
