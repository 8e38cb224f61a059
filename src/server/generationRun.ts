/**
 * The two ways a route runs a generation, shared by every protocol: collected into one
 * answer, or streamed through the stream driver into the HTTP response. Each protocol
 * supplies only its wire format. Either way the request has one AbortController: the
 * client leaving aborts it, and so does shutdown (through the scheduler).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GenerationResult } from "../generation/events.js";
import type { ChatOptions } from "../chat/chatOptions.js";
import { ChoiceStreams, type ChoicePart } from "../streaming/choiceStreams.js";
import { driveStream } from "../streaming/driveStream.js";
import type { TokenStream } from "../streaming/TokenStream.js";
import type { WireFormat } from "../streaming/transport.js";
import { cancellation } from "./httpErrors.js";
import { logFailure, logGeneration, logStreamEnd } from "./requestLog.js";
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
}

/**
 * Runs the generation to its end. Resolves undefined when the client went away (nothing
 * is left to answer); throws the failure, or why it was cut short (a 503 at shutdown),
 * for the error handler to answer.
 */
export async function collectGeneration(request: FastifyRequest, reply: FastifyReply, call: GenerationCall): Promise<CollectedGeneration | undefined> {
  return (await collectGenerations(request, reply, [call]))?.[0];
}

/** Runs several generations of one request at once (OpenAI's `n` choices), each to its end; as collectGeneration otherwise. */
export async function collectGenerations(request: FastifyRequest, reply: FastifyReply, calls: readonly GenerationCall[]): Promise<CollectedGeneration[] | undefined> {
  const controller = new AbortController();
  let disconnected = false;
  onDisconnect(reply.raw, (reason) => {
    disconnected = true;
    controller.abort(reason);
  });
  const streams = startAll(calls, controller);
  let collected: (CollectedGeneration & { abortReason: unknown })[];
  try {
    collected = await Promise.all(streams.map((stream, index) => collect(request, stream, calls[index]!)));
  } catch (error) {
    controller.abort(error);
    await Promise.allSettled(streams.map((stream) => stream.close()));
    throw error;
  }
  const aborted = collected.find((generation) => generation.result.stopReason === "abort");
  if (aborted === undefined) return collected.map(({ result, tokens }) => ({ result, tokens }));
  if (!disconnected) throw cancellation(aborted.abortReason);
  reply.hijack();
  reply.raw.destroy();
  return undefined;
}

function following(controller: AbortController): AbortController {
  const own = new AbortController();
  controller.signal.addEventListener("abort", () => own.abort(controller.signal.reason), { once: true });
  return own;
}

async function collect(request: FastifyRequest, stream: TokenStream, call: GenerationCall): Promise<CollectedGeneration & { abortReason: unknown }> {
  const tokens: number[] = [];
  for await (const part of stream.parts()) {
    if (part.type === "text") tokens.push(...part.tokens);
    else if (part.type === "error") throw part.error;
    else if (part.type === "finish") {
      logGeneration(request, part.result, call.logFields);
      return { result: part.result, tokens, abortReason: part.abortReason };
    }
  }
  throw new Error("The stream ended without a final part");
}

/**
 * Starts each call's generation, each with its own controller (the scheduler counts a
 * generation by its controller) that follows the request's: whatever aborts the request
 * aborts them all. A refusal of one (a full queue) closes those already started.
 */
function startAll(calls: readonly GenerationCall[], controller: AbortController): TokenStream[] {
  const streams: TokenStream[] = [];
  try {
    for (const call of calls) streams.push(call.scheduler.start(call.prompt, call.options, calls.length === 1 ? controller : following(controller)));
  } catch (error) {
    for (const stream of streams) void stream.close();
    throw error;
  }
  return streams;
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

/** Streams several generations of one request (OpenAI's `n` choices) interleaved, each part tagged with its choice; as streamGeneration otherwise. */
export async function streamGenerations(
  request: FastifyRequest,
  reply: FastifyReply,
  calls: readonly GenerationCall[],
  contentType: string,
  format: WireFormat<string, ChoicePart, GenerationResult[]>,
): Promise<void> {
  const controller = new AbortController();
  const stream = new ChoiceStreams(startAll(calls, controller));
  const response = StreamingResponse.open(reply, contentType);
  const logFields = calls[0]?.logFields;
  await driveStream(stream, format, response, {
    controller,
    keepAliveIntervalMs: calls[0]?.keepAliveIntervalMs,
    onEnd: (end) => {
      if (end.final.type === "error") logFailure(request, end.final.error);
      else for (const result of end.final.result) logGeneration(request, result, logFields);
    },
  });
}
