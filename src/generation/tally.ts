/**
 * What a generation has produced so far (text, counts, timestamps), kept by the loop as it
 * goes so the result can be built however the generation ends, even when it is closed from
 * outside. `end` stays undefined until the loop knows why it ends; a generation closed
 * from outside before that gets its reason from whoever closed it.
 */
import type { GenerationResult, StopReason, TokenLogprob, ToolCall } from "./events.js";

/** How a generation ended, decided where it ends. */
export interface GenerationEnd {
  stopReason: StopReason;
  /** The stop string found, when `stopReason` is `"stop"`. */
  stopString?: string;
}

export class GenerationTally {
  readonly requestedAt = performance.now();
  readonly promptTokens: number;
  readonly seed: number;
  text = "";
  /** Thinking, apart from the text (chat turns). */
  reasoning = "";
  tokenCount = 0;
  partCount = 0;
  /** Complete tool calls, in order (chat turns). */
  readonly toolCalls: ToolCall[] = [];
  /** Every emitted token's log-probability, with the `logprobs` option. */
  logprobs: TokenLogprob[] | undefined;
  cachedPromptTokens = 0;
  acquiredAt: number | undefined;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  /** Why the loop ended, recorded when it knew (before its last text went out). */
  end: GenerationEnd | undefined;

  constructor(promptTokens: number, seed: number) {
    this.promptTokens = promptTokens;
    this.seed = seed;
  }

  result(end: GenerationEnd): GenerationResult {
    const endedAt = performance.now();
    const acquiredAt = this.acquiredAt ?? endedAt;
    const firstTokenAt = this.firstTokenAt ?? endedAt;
    const lastTokenAt = this.lastTokenAt ?? firstTokenAt;
    const generationMs = lastTokenAt - firstTokenAt;
    const promptMs = firstTokenAt - acquiredAt;
    const evaluatedPromptTokens = this.promptTokens - this.cachedPromptTokens;
    return {
      text: this.text,
      tokenCount: this.tokenCount,
      promptTokens: this.promptTokens,
      cachedPromptTokens: this.cachedPromptTokens,
      stopReason: end.stopReason,
      ...(end.stopString === undefined ? {} : { stopString: end.stopString }),
      seed: this.seed,
      ...(this.reasoning === "" ? {} : { reasoning: this.reasoning }),
      ...(this.toolCalls.length === 0 ? {} : { toolCalls: [...this.toolCalls] }),
      ...(this.logprobs === undefined ? {} : { logprobs: [...this.logprobs] }),
      timings: {
        queueMs: acquiredAt - this.requestedAt,
        promptMs,
        timeToFirstTokenMs: firstTokenAt - this.requestedAt,
        generationMs,
        totalMs: endedAt - this.requestedAt,
        tokensPerSecond: this.tokenCount > 1 && generationMs > 0 ? ((this.tokenCount - 1) * 1000) / generationMs : 0,
        promptTokensPerSecond: promptMs > 0 ? (evaluatedPromptTokens * 1000) / promptMs : 0,
      },
    };
  }
}
