/** The end-of-generation summary that the wire adapters send (SSE `done`, WebSocket `done`). */
import { toErrorInfo, type ErrorInfo } from "../errorPolicy.js";
import { MullamaError } from "../errors.js";
import type { GenerationResult, GenerationTimings, StopReason } from "../generation/events.js";
import type { FinishPart } from "../generation/parts.js";

export interface GenerationSummary {
  stopReason: StopReason;
  stopString?: string;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number; cachedPromptTokens: number };
  timings: GenerationTimings;
}

/** A summary that also says who cut an aborted generation short, when that was mullama itself (shutdown: `SHUTTING_DOWN`). */
export interface FinishSummary extends GenerationSummary {
  abortReason?: ErrorInfo;
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

/** The summary of a finish part. A caller's own abort reason (any value) is not told: only mullama's own errors are. */
export function summarizeFinish(part: FinishPart): FinishSummary {
  const summary = summarize(part.result);
  return part.abortReason instanceof MullamaError ? { ...summary, abortReason: toErrorInfo(part.abortReason) } : summary;
}
