/** The end-of-generation summary that the wire adapters send (SSE `done`, WebSocket `done`). */
import type { GenerationResult, GenerationTimings, StopReason } from "../generation/events.js";

export interface GenerationSummary {
  stopReason: StopReason;
  stopString?: string;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number; cachedPromptTokens: number };
  timings: GenerationTimings;
}

export function summarize(result: GenerationResult): GenerationSummary {
  return {
    stopReason: result.stopReason,
    ...(result.stopString === undefined ? {} : { stopString: result.stopString }),
    usage: {
      promptTokens: result.promptTokens,
      completionTokens: result.tokenCount,
      totalTokens: result.promptTokens + result.tokenCount,
      cachedPromptTokens: result.cachedPromptTokens,
    },
    timings: result.timings,
  };
}
