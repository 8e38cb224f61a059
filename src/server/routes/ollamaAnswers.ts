/**
 * Ollama's answer shapes: NDJSON objects `{model, created_at, ..., done: false}` per piece
 * of text, then a final one with `done: true`, `done_reason` and Ollama's counts and
 * durations (nanoseconds). `/api/generate` and `/api/chat` differ only in where the text
 * goes ({@link AnswerShapes}); a chat's thinking streams in `message.thinking`, and its
 * tool calls each come in an object of their own as soon as they are complete. A failure, or a generation cut short by the server, is an
 * `{"error": "..."}` line (Ollama's done reasons cannot say "aborted").
 */
import { describeError } from "../../errorPolicy.js";
import type { GenerationResult, TokenAlternative, TokenLogprob, ToolCall } from "../../generation/events.js";
import type { WireFormat } from "../../streaming/transport.js";
import { cancellation, errorBody } from "../httpErrors.js";

/** Where one route puts its text, in a piece, in the last object of a stream, and in a whole answer. */
export interface AnswerShapes {
  piece: (text: string) => object;
  /** A piece of thinking (chat only: `message.thinking`). */
  reasoning?: (text: string) => object;
  /** A complete tool call, streamed in an object of its own (chat only; other routes have no tools). */
  toolCall?: (call: ToolCall) => object;
  final: (result: GenerationResult, generated: number[]) => object;
  whole: (result: GenerationResult, generated: number[]) => object;
  /** The name as the client gave it, echoed back as Ollama does. */
  model: string;
}

export function wholeAnswer(shapes: AnswerShapes, result: GenerationResult, generated: number[]): object {
  return { ...head(shapes), ...shapes.whole(result, generated), ...logprobsField(result.logprobs), done: true, done_reason: doneReason(result) };
}

/** NDJSON has no comment syntax, so no keep-alives: the headers are flushed at once instead. */
export function ollamaStreamFormat(shapes: AnswerShapes): WireFormat<string> {
  const generated: number[] = [];
  return {
    format(part) {
      switch (part.type) {
        case "text":
          generated.push(...part.tokens);
          return part.text === "" ? undefined : line({ ...head(shapes), ...shapes.piece(part.text), ...logprobsField(part.logprobs), done: false });
        case "reasoning":
          return shapes.reasoning === undefined || part.text === "" ? undefined : line({ ...head(shapes), ...shapes.reasoning(part.text), done: false });
        case "tool-call":
          return shapes.toolCall === undefined ? undefined : line({ ...head(shapes), ...shapes.toolCall(part), done: false });
        case "tool-call-start":
        case "tool-call-delta":
          // Ollama sends a call whole, once it is complete.
          return undefined;
        case "finish":
          if (part.result.stopReason === "abort") return line(errorBody(describeError(cancellation(part.abortReason)), "ollama") as object);
          return line({ ...head(shapes), ...shapes.final(part.result, generated), done: true, done_reason: doneReason(part.result) });
        case "error":
          return line(errorBody(describeError(part.error), "ollama") as object);
      }
    },
  };
}

/** Ollama's counts and durations. Durations are in nanoseconds; the model is already loaded, so loading took 0. */
export function durations(result: GenerationResult) {
  const nanoseconds = (milliseconds: number) => Math.round(milliseconds * 1e6);
  return {
    total_duration: nanoseconds(result.timings.totalMs),
    load_duration: 0,
    prompt_eval_count: result.promptTokens,
    prompt_eval_duration: nanoseconds(result.timings.promptMs),
    eval_count: result.tokenCount,
    eval_duration: nanoseconds(result.timings.generationMs),
  };
}

/** Ollama's `logprobs`: per token its text, logprob, bytes and `top_logprobs`. */
function logprobsField(entries: readonly TokenLogprob[] | undefined) {
  if (entries === undefined) return {};
  const alternative = (entry: TokenAlternative) => ({ token: entry.text, logprob: entry.logprob, bytes: entry.bytes });
  return { logprobs: entries.map((entry) => ({ ...alternative(entry), top_logprobs: entry.topLogprobs.map(alternative) })) };
}

function head(shapes: AnswerShapes) {
  return { model: shapes.model, created_at: new Date().toISOString() };
}

function doneReason(result: GenerationResult): "stop" | "length" {
  return result.stopReason === "maxTokens" ? "length" : "stop";
}

function line(value: object): string {
  return JSON.stringify(value) + "\n";
}
