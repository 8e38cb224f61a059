/**
 * The parts of a stream: what a generation produces, in order, ending with exactly one
 * final part. A consumer that reads parts needs nothing else (no separate result promise,
 * no try/catch around its loop), which is what lets every transport be a plain function
 * from part to bytes.
 *
 * Content parts carry output: `text`, and in chat turns `reasoning`, `tool-call-start`,
 * `tool-call-delta` and `tool-call`; a transport that does not render a kind skips it,
 * and the final parts never change.
 */
import type { GenerationResult, TokenEvent, ToolCall } from "./events.js";

/** A piece of generated text: the same object the stream's `for await` yields as an event. */
export interface TextPart extends TokenEvent {
  type: "text";
}

/** Thinking the model did before (or between) its answer, for models whose chat format separates it; not part of the result's text. */
export interface ReasoningPart {
  type: "reasoning";
  text: string;
}

/** A tool call begins: its name is known, its arguments follow as deltas. */
export interface ToolCallStartPart {
  type: "tool-call-start";
  /** Identifies the call in its deltas, its result and the next turn's `tool` message. */
  id: string;
  name: string;
}

/** A piece of a tool call's arguments, as generated (JSON text; the pieces concatenate to the call's arguments text). */
export interface ToolCallDeltaPart {
  type: "tool-call-delta";
  id: string;
  argumentsDelta: string;
}

/** A tool call is complete. */
export interface ToolCallPart extends ToolCall {
  type: "tool-call";
}

/** Output of the generation. */
export type ContentPart = TextPart | ReasoningPart | ToolCallStartPart | ToolCallDeltaPart | ToolCallPart;

/** The generation ended, however it ended without failing (see `result.stopReason`). */
export interface FinishPart<Result = GenerationResult> {
  type: "finish";
  result: Result;
  /** Why it was aborted, when `result.stopReason` is `"abort"` and an AbortSignal fired: the signal's reason. */
  abortReason?: unknown;
}

/** The generation failed; nothing follows. */
export interface ErrorPart {
  type: "error";
  error: unknown;
}

/** The last part of every stream: exactly one, however the stream ends. */
export type FinalPart = FinishPart | ErrorPart;

export type StreamPart = ContentPart | FinalPart;

/**
 * Watches a stream without consuming it (metrics, logs, a spinner): pass it as the
 * `observer` option of `context.stream()`. Each hook runs before the consumer sees the
 * part. Hooks must not throw: an exception reaches whoever is reading the stream.
 */
export interface StreamObserver {
  /** Called once, with the first text part. */
  onFirstToken?(part: TextPart): void;
  /** Called with every content part (not the final one). */
  onPart?(part: ContentPart): void;
  /**
   * Called once with the final part, however the stream ends: finished, failed, closed,
   * or closed before it started. It is the place to release what was taken for the stream.
   */
  onFinish?(part: FinalPart): void;
}
