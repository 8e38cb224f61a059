/**
 * What the server logs: one line per failed request (the stack only for genuine faults)
 * and one per finished generation, which is what operators read when something is slow.
 * A fault's details, kept out of every answer, are here.
 */
import type { FastifyBaseLogger } from "fastify";
import { describeError } from "../errorPolicy.js";
import type { GenerationResult } from "../generation/events.js";
import type { StreamEnd } from "../streaming/driveStream.js";

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
export function logFailure(target: LogTarget, error: unknown): void {
  const described = describeError(error);
  const fields = { method: target.method, url: target.url, status: described.status, code: described.code };
  if (described.fault) target.log.error({ ...fields, err: error }, `request failed: ${described.message}`);
  else target.log.warn(fields, `request rejected: ${described.message}`);
}

/** The one line about a streamed generation: how it finished, or why it failed. */
export function logStreamEnd(target: LogTarget, end: StreamEnd, extra: Record<string, unknown> = {}): void {
  if (end.final.type === "finish") logGeneration(target, end.final.result, extra);
  else logFailure(target, end.final.error);
}
