/**
 * Log-probabilities in OpenAI's two shapes: the chat API's `logprobs.content` (one entry
 * per token with its bytes and top alternatives) and the legacy completions API's
 * parallel arrays (`tokens`, `token_logprobs`, `top_logprobs` as token -> logprob maps,
 * `text_offset`). Streamed chunks carry the entries of their own tokens.
 */
import type { TokenLogprob } from "../../generation/events.js";

export function chatLogprobs(entries: readonly TokenLogprob[]) {
  return {
    content: entries.map((entry) => ({
      token: entry.text,
      logprob: entry.logprob,
      bytes: entry.bytes,
      top_logprobs: entry.topLogprobs.map((alternative) => ({ token: alternative.text, logprob: alternative.logprob, bytes: alternative.bytes })),
    })),
    refusal: null,
  };
}

/** `offset`: characters of the answer before these tokens (where the first one starts). */
export function completionLogprobs(entries: readonly TokenLogprob[], offset: number) {
  const text_offset: number[] = [];
  let position = offset;
  for (const entry of entries) {
    text_offset.push(position);
    position += entry.text.length;
  }
  return {
    tokens: entries.map((entry) => entry.text),
    token_logprobs: entries.map((entry) => entry.logprob),
    // Two alternatives with the same text (the same characters from different tokens) keep the likelier.
    top_logprobs: entries.map((entry) => Object.fromEntries(entry.topLogprobs.toReversed().map((alternative) => [alternative.text, alternative.logprob]))),
    text_offset,
  };
}
