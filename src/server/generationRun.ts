/**
 * The two ways a route runs a generation, shared by every protocol: collected into one
 * answer, or streamed chunk by chunk through a {@link StreamingResponse}. Each protocol
 * supplies only its wire format.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GenerationResult, TokenEvent } from "../generation/events.js";
import type { GenerationOptions } from "../generation/options.js";
import { cancelledByShutdown, toHttpError, type Protocol } from "./httpErrors.js";
import { logFailure, logGeneration } from "./requestLog.js";
import type { GenerationScheduler } from "./scheduler.js";
import { disconnectSignal, StreamingResponse, type StreamingResponseOptions } from "./streamingResponse.js";

export interface GenerationCall {
  scheduler: GenerationScheduler;
  prompt: string | readonly number[];
  options: GenerationOptions;
  /** Idle time before a keep-alive on streamed answers, in milliseconds (the server's setting). */
  keepAliveIntervalMs: number;
  /** Extra fields for the "generation finished" log line (an OpenAI `user`). */
  logFields?: Record<string, unknown>;
}

/** A collected generation: its result and the token ids it produced. */
export interface CollectedGeneration {
  result: GenerationResult;
  tokens: number[];
}

/**
 * Runs the generation to its end. Resolves undefined when the client went away (nothing
 * is left to answer); throws a 503 when shutdown cancelled it.
 */
export async function collectGeneration(request: FastifyRequest, reply: FastifyReply, call: GenerationCall): Promise<CollectedGeneration | undefined> {
  const signal = disconnectSignal(reply);
  const stream = call.scheduler.start(call.prompt, call.options, signal);
  const tokens: number[] = [];
  for await (const event of stream) tokens.push(...event.tokens);
  const result = await stream.result;
  logGeneration(request, result, call.logFields);
  if (result.stopReason !== "abort") return { result, tokens };
  if (signal.aborted) {
    reply.hijack();
    reply.raw.destroy();
    return undefined;
  }
  throw cancelledByShutdown();
}

/** How a protocol writes a stream: chunks as text, and the final words. */
export interface StreamFormat {
  protocol: Protocol;
  response: StreamingResponseOptions;
  /** Written as soon as the headers are out (the OpenAI chat role chunk); optional. */
  opening?: () => string;
  token: (event: TokenEvent) => string | undefined;
  end: (result: GenerationResult) => string;
  /** A failure or a cancellation after the response started, in the protocol's error shape. */
  error: (body: unknown) => string;
}

/**
 * Streams the generation. Everything refusable (bad options, full queue) throws before
 * the headers go out, so it still gets a proper status; later failures become the
 * protocol's in-stream error. A client that leaves cancels the generation within a token.
 */
export async function streamGeneration(request: FastifyRequest, reply: FastifyReply, call: GenerationCall, format: StreamFormat): Promise<void> {
  const response = new StreamingResponse(reply, { keepAliveIntervalMs: call.keepAliveIntervalMs, ...format.response });
  const stream = call.scheduler.start(call.prompt, call.options, response.signal);
  response.open();
  try {
    if (format.opening !== undefined) await response.write(format.opening());
    for await (const event of stream) {
      const chunk = format.token(event);
      if (chunk !== undefined) await response.write(chunk);
    }
    const result = await stream.result;
    logGeneration(request, result, call.logFields);
    if (result.stopReason === "abort") {
      if (!response.signal.aborted) await response.write(format.error(toHttpError(cancelledByShutdown(), format.protocol).body));
    } else {
      await response.write(format.end(result));
    }
  } catch (error) {
    const failure = toHttpError(error, format.protocol);
    logFailure(request, failure, error);
    await response.write(format.error(failure.body));
  } finally {
    response.end();
  }
}
