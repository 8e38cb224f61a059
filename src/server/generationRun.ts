/**
 * The two ways a route runs a generation, shared by every protocol: collected into one
 * answer, or streamed through the stream driver into the HTTP response. Each protocol
 * supplies only its wire format. Either way the request has one AbortController: the
 * client leaving aborts it, and so does shutdown (through the scheduler).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GenerationResult, TokenLogprob } from "../generation/events.js";
import type { ChatOptions } from "../chat/chatOptions.js";
import { driveStream } from "../streaming/driveStream.js";
import type { WireFormat } from "../streaming/transport.js";
import { cancellation } from "./httpErrors.js";
import { logGeneration, logStreamEnd } from "./requestLog.js";
import type { GenerationInput, GenerationScheduler } from "./scheduler.js";
import { onDisconnect, StreamingResponse } from "./streamingResponse.js";

export interface GenerationCall {
  scheduler: GenerationScheduler;
  /** A prompt, or a conversation (a chat turn through `context.chat`). */
  prompt: GenerationInput;
  options: ChatOptions;
  /** Idle time before a keep-alive on streamed answers, in milliseconds (the server's setting). */
  keepAliveIntervalMs: number;
  /** Extra fields for the "generation finished" log line (an OpenAI `user`). */
  logFields?: Record<string, unknown>;
}

/** A collected generation: its result and the token ids it produced. */
export interface CollectedGeneration {
  result: GenerationResult;
  tokens: number[];
  /** Each token's log-probability, when the `logprobs` option asked for them. */
  logprobs: TokenLogprob[] | undefined;
}

/**
 * Runs the generation to its end. Resolves undefined when the client went away (nothing
 * is left to answer); throws the failure, or why it was cut short (a 503 at shutdown),
 * for the error handler to answer.
 */
export async function collectGeneration(request: FastifyRequest, reply: FastifyReply, call: GenerationCall): Promise<CollectedGeneration | undefined> {
  const controller = new AbortController();
  let disconnected = false;
  onDisconnect(reply.raw, (reason) => {
    disconnected = true;
    controller.abort(reason);
  });
  const stream = call.scheduler.start(call.prompt, call.options, controller);
  const tokens: number[] = [];
  const logprobs = call.options.logprobs === undefined ? undefined : ([] as TokenLogprob[]);
  for await (const part of stream.parts()) {
    if (part.type === "text") {
      tokens.push(...part.tokens);
      if (part.logprobs !== undefined) logprobs?.push(...part.logprobs);
    }
    else if (part.type === "error") throw part.error;
    else if (part.type === "finish") {
      logGeneration(request, part.result, call.logFields);
      if (part.result.stopReason !== "abort") return { result: part.result, tokens, logprobs };
      if (!disconnected) throw cancellation(part.abortReason);
      reply.hijack();
      reply.raw.destroy();
      return undefined;
    }
  }
  throw new Error("The stream ended without a final part");
}

/**
 * Streams the generation. Everything refusable (bad options, full queue) throws before
 * the headers go out, so it still gets a proper status; later failures become the
 * protocol's in-stream error. A client that leaves cancels the generation within a token.
 */
export async function streamGeneration(request: FastifyRequest, reply: FastifyReply, call: GenerationCall, contentType: string, format: WireFormat<string>): Promise<void> {
  const controller = new AbortController();
  const stream = call.scheduler.start(call.prompt, call.options, controller);
  const response = StreamingResponse.open(reply, contentType);
  await driveStream(stream, format, response, {
    controller,
    keepAliveIntervalMs: call.keepAliveIntervalMs,
    onEnd: (end) => logStreamEnd(request, end, call.logFields),
  });
}
