/**
 * What the server logs: one line per failed request (the stack only for genuine faults)
 * and one per finished generation, which is what operators read when something is slow.
 */
import type { FastifyBaseLogger } from "fastify";
import type { GenerationResult } from "../generation/events.js";
import type { HttpErrorResponse } from "./httpErrors.js";

/** Who logs and about what: a Fastify request fits, and so does a WebSocket message. */
export interface LogTarget {
  log: FastifyBaseLogger;
  method: string;
  url: string;
}

export function logGeneration(target: LogTarget, result: GenerationResult, extra: Record<string, unknown> = {}): void {
  target.log.info(
    {
      url: target.url,
      stopReason: result.stopReason,
      promptTokens: result.promptTokens,
      cachedPromptTokens: result.cachedPromptTokens,
      completionTokens: result.tokenCount,
      queueMs: Math.round(result.timings.queueMs),
      timeToFirstTokenMs: Math.round(result.timings.timeToFirstTokenMs),
      tokensPerSecond: Math.round(result.timings.tokensPerSecond),
      ...extra,
    },
    "generation finished",
  );
}

/** One line per failure: a warning for the client's mistakes, an error with the stack for genuine faults. */
export function logFailure(target: LogTarget, response: HttpErrorResponse, error: unknown): void {
  const fields = { method: target.method, url: target.url, status: response.status, code: response.code };
  if (response.logLevel === "error") target.log.error({ ...fields, err: error }, `request failed: ${response.message}`);
  else target.log.warn(fields, `request rejected: ${response.message}`);
}
