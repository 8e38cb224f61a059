/** The values a generation produces: one event per text piece, one result at the end. */

/** Why a generation ended. Data, not an exception: only failures throw. */
export type StopReason =
  /** The model produced its end-of-generation token. */
  | "eos"
  /** `maxTokens` tokens were generated. */
  | "maxTokens"
  /** A stop string was found (it is not part of the text). */
  | "stop"
  /** The consumer stopped: the callback returned false, or the loop was left early. */
  | "callback"
  /** The AbortSignal fired, or the context was disposed. */
  | "abort"
  /** The turn ended to call tools (`result.toolCalls`); only `context.chat` ends so. */
  | "toolCalls";

/** A call of a tool that the model asked for in a chat turn. */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments, parsed. A forced call's match the tool's parameters schema; a call the model made by itself (`"auto"`) has them as the model wrote them. */
  arguments: unknown;
  /** The arguments as generated (JSON text). */
  argumentsText: string;
}

/** A token the model could have produced at one step, with its log-probability. */
export interface TokenAlternative {
  /** The token id. */
  token: number;
  /** Its text (U+FFFD where the token is only part of a character; see `bytes`). */
  text: string;
  /** Its UTF-8 bytes: the exact bytes where the token is part of a multi-byte character. */
  bytes: number[];
  /** Natural log of its probability (at most 0; -9999 stands for a probability of 0). */
  logprob: number;
}

/** A generated token's log-probability and the most likely tokens at its step (the `logprobs` option). */
export interface TokenLogprob extends TokenAlternative {
  /** The `logprobs` most likely tokens at this step, most likely first. */
  topLogprobs: TokenAlternative[];
}

/** One piece of generated text. Its `text` is always complete UTF-8 (never a split character). */
export interface TokenEvent {
  /** The new text; the concatenation of every event's text is the result's text. */
  text: string;
  /** Token ids this piece was decoded from (several when a character spans tokens; may be empty when held-back text is released). */
  tokens: number[];
  /** Zero-based number of this event within the generation. */
  index: number;
  /** Tokens generated so far, including this piece's. */
  tokenCount: number;
  /** Milliseconds since the generation was requested. */
  elapsedMs: number;
  /** With the `logprobs` option: one entry per token of `tokens`, in order. */
  logprobs?: TokenLogprob[];
}

/** Timings of one generation, in milliseconds unless named otherwise. */
export interface GenerationTimings {
  /** Waiting for a free sequence. */
  queueMs: number;
  /** Evaluating the prompt, up to the first generated token. */
  promptMs: number;
  /** From the request to the first generated token (queue + prompt). */
  timeToFirstTokenMs: number;
  /** From the first generated token to the last. */
  generationMs: number;
  /** From the request to the end. */
  totalMs: number;
  /** Generated tokens per second after the first token (decode speed). */
  tokensPerSecond: number;
  /** Prompt tokens evaluated per second (tokens reused from the cache are not counted). */
  promptTokensPerSecond: number;
}

/** What a finished generation resolves to. */
export interface GenerationResult {
  /** All generated text, stop string excluded. Equal to the concatenation of the events' text. */
  text: string;
  /** Number of tokens generated (including any that formed a stop string). */
  tokenCount: number;
  /** Number of tokens in the prompt, BOS included. */
  promptTokens: number;
  /** Prompt tokens whose evaluation was reused from the sequence's cache (prefix reuse). */
  cachedPromptTokens: number;
  stopReason: StopReason;
  /** The stop string that ended the generation, when `stopReason` is `"stop"`. */
  stopString?: string;
  /** The sampling seed that was used. */
  seed: number;
  /** The model's thinking, for chat turns of models whose chat format separates it (not in `text`). */
  reasoning?: string;
  /** The tools the model called, when `stopReason` is `"toolCalls"` (chat turns only). */
  toolCalls?: ToolCall[];
  /** With the `logprobs` option: every token of the text's, in order (the parts' `logprobs` joined). */
  logprobs?: TokenLogprob[];
  timings: GenerationTimings;
}
