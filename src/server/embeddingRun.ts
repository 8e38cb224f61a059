/**
 * What the embedding routes share (OpenAI's `/v1/embeddings`, Ollama's `/api/embed` and
 * `/api/embeddings`): take the model, its embedding context (made on first use), check the
 * requested dimensions, cut over-long texts when the protocol asks for it, embed, and count
 * the tokens. The inputs go to the EmbeddingContext as the client sent them, so its
 * validation names the field at fault (`input[1]`, `input[0][3]`) the way the request does.
 * A client that leaves stops the work between inputs.
 */
import type { FastifyReply } from "fastify";
import type { EmbeddingContext, EmbeddingInput } from "../embedding/EmbeddingContext.js";
import { unsupported } from "./httpErrors.js";
import type { KeepAliveMs } from "./models/keepAlive.js";
import type { ServerRuntime } from "./serverRuntime.js";
import { onDisconnect } from "./streamingResponse.js";

export interface EmbeddingRequest {
  /** The model's name; undefined for the default model. */
  readonly model: string | undefined;
  /** One input (a text or token ids) or several, as sent; a mixed array is the context's to refuse, naming the item. */
  readonly input: EmbeddingInput | readonly (string | number | readonly number[])[];
  /** The vector length the client wants: refused unless it is the model's own. */
  readonly dimensions?: number | null | undefined;
  /** Cut texts longer than the context to fit (Ollama's `truncate`) instead of refusing them. */
  readonly truncate?: boolean;
  readonly keepAliveMs?: KeepAliveMs | null | undefined;
}

export interface EmbeddingAnswer {
  /** One vector per input, in order (one for a single input). */
  readonly vectors: number[][];
  /** Tokens evaluated, over every input (after truncation). */
  readonly promptTokens: number;
  /** Time spent getting the model and its embedding context ready, in milliseconds. */
  readonly loadDurationMs: number;
  /** The whole request, in milliseconds. */
  readonly totalDurationMs: number;
}

export async function embedForRequest(runtime: ServerRuntime, reply: FastifyReply, request: EmbeddingRequest): Promise<EmbeddingAnswer> {
  const started = performance.now();
  const loaded = await runtime.modelForRequest(reply, request.model, request.keepAliveMs);
  const context = await loaded.embeddings();
  const loadDurationMs = performance.now() - started;
  if (request.dimensions != null && request.dimensions !== context.dimensions) {
    throw unsupported("dimensions", `dimensions must be ${context.dimensions}, the length of this model's vectors (it cannot shorten them), or left out`);
  }
  const single = !isList(request.input);
  // As sent: the context checks every item (a number among texts, an id outside the vocabulary).
  const inputs = single ? [request.input as EmbeddingInput] : (request.input as readonly EmbeddingInput[]);
  const fitted = request.truncate === true ? inputs.map((input) => truncated(context, input)) : inputs;
  const controller = new AbortController();
  onDisconnect(reply.raw, (reason) => controller.abort(reason));
  const embedded = single ? [await context.embed(fitted[0]!, { signal: controller.signal })] : await context.embed(fitted, { signal: controller.signal });
  const promptTokens = fitted.reduce((sum, input) => sum + context.countTokens(input), 0);
  return { vectors: embedded, promptTokens, loadDurationMs, totalDurationMs: performance.now() - started };
}

/** Several inputs: an array of texts or of token-id arrays (an array of numbers is one input). */
function isList(input: EmbeddingRequest["input"]): boolean {
  return Array.isArray(input) && !input.every((item) => typeof item === "number");
}

/** A text too long for the context, cut to its first tokens that fit (with the BOS/EOS the context adds); anything else as it is. */
function truncated(context: EmbeddingContext, input: EmbeddingInput): EmbeddingInput {
  if (typeof input !== "string" || input === "") return input;
  const tokens = context.model.tokenize(input);
  const added = context.countTokens(tokens) - tokens.length;
  if (tokens.length + added < context.contextSize) return input;
  return tokens.slice(0, context.contextSize - 1 - added);
}
