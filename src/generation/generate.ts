/**
 * THE generation loop: a prompt in, token events out. Every API (callback, iterator,
 * collect, SSE, WebSocket, worker bridge) is an adapter over this one loop.
 *
 * The loop is pull-based: the engine decodes the next token only when the consumer asks
 * for the next event, so a slow consumer slows generation and nothing buffers. However
 * it ends (eos, maxTokens, stop string, abort, the consumer leaving, an error) the same
 * `finally` stops the engine's generator and returns the sequence to the pool.
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { GenerationError, errorMessage, wrapEngineError } from "../errors.js";
import type { SequencePool } from "../context/sequencePool.js";
import { commonPrefixLength } from "../context/sequencePool.js";
import type { GenerationResult, StopReason, TokenEvent } from "./events.js";
import { repeatPenaltyWindow, type ResolvedGenerationOptions } from "./options.js";
import { IncrementalDetokenizer } from "./textDecoder.js";
import { StopMatcher } from "./stopMatcher.js";

export interface GenerationRequest {
  engineModel: LlamaModel;
  pool: SequencePool;
  promptTokens: readonly number[];
  maxTokens: number;
  options: ResolvedGenerationOptions;
  /** The prompt is fed in chunks of this many tokens so an abort lands between chunks. */
  batchSize: number;
  /** Fires on the caller's signal or on the context's disposal. */
  signal: AbortSignal;
}

/** What the loop has produced so far; the stream turns it into the result. */
export class GenerationProgress {
  readonly requestedAt = performance.now();
  text = "";
  tokenCount = 0;
  eventCount = 0;
  cachedPromptTokens = 0;
  stopReason: StopReason = "callback";
  stopString: string | undefined;
  acquiredAt: number | undefined;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;

  result(promptTokens: number, seed: number): GenerationResult {
    const endedAt = performance.now();
    const acquiredAt = this.acquiredAt ?? endedAt;
    const firstTokenAt = this.firstTokenAt ?? endedAt;
    const lastTokenAt = this.lastTokenAt ?? firstTokenAt;
    const generationMs = lastTokenAt - firstTokenAt;
    const promptMs = firstTokenAt - acquiredAt;
    const evaluatedPromptTokens = promptTokens - this.cachedPromptTokens;
    return {
      text: this.text,
      tokenCount: this.tokenCount,
      promptTokens,
      cachedPromptTokens: this.cachedPromptTokens,
      stopReason: this.stopReason,
      ...(this.stopString === undefined ? {} : { stopString: this.stopString }),
      seed,
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

export async function* runGeneration(request: GenerationRequest, progress: GenerationProgress): AsyncGenerator<TokenEvent, void, undefined> {
  const { engineModel, promptTokens, options, signal } = request;
  if (signal.aborted) {
    progress.stopReason = "abort";
    return;
  }
  let lease;
  try {
    lease = await request.pool.acquire(promptTokens, { wait: options.wait, signal });
  } catch (error) {
    if (signal.aborted) {
      progress.stopReason = "abort";
      return;
    }
    throw error;
  }
  progress.acquiredAt = performance.now();
  const detokenizer = new IncrementalDetokenizer((tokens, lastTokens) => engineModel.detokenize(tokens as Token[], false, lastTokens as Token[]), promptTokens);
  const stopMatcher = new StopMatcher(options.stop);
  let pendingTokens: number[] = [];
  let engineTokens: AsyncGenerator<Token, void, void | Token | Token[]> | undefined;

  const emit = (text: string): TokenEvent => {
    progress.text += text;
    const event: TokenEvent = {
      text,
      tokens: pendingTokens,
      index: progress.eventCount++,
      tokenCount: progress.tokenCount,
      elapsedMs: performance.now() - progress.requestedAt,
    };
    pendingTokens = [];
    return event;
  };

  try {
    const remaining = await reuseCachedPrefix(lease.sequence, promptTokens, progress);
    const lastChunk = await feedPromptInChunks(lease.sequence, remaining, request.batchSize, signal);
    if (lastChunk === undefined) {
      progress.stopReason = "abort";
      return;
    }
    const history = options.repeatPenalty === 1 ? undefined : [...promptTokens];
    engineTokens = lease.sequence.evaluate(lastChunk as Token[], {
      temperature: options.temperature,
      topK: options.topK,
      topP: options.topP,
      minP: options.minP,
      seed: options.seed,
      yieldEogToken: true,
      ...(history === undefined
        ? {}
        : { repeatPenalty: { punishTokens: () => history.slice(-repeatPenaltyWindow) as Token[], penalty: options.repeatPenalty } }),
    });

    let ended = false;
    while (!ended) {
      if (signal.aborted) {
        progress.stopReason = "abort";
        break;
      }
      const next = await engineTokens.next();
      if (next.done) {
        progress.stopReason = "eos";
        break;
      }
      const token: number = next.value;
      progress.lastTokenAt = performance.now();
      progress.firstTokenAt ??= progress.lastTokenAt;
      if (engineModel.isEogToken(token as Token)) {
        progress.stopReason = "eos";
        break;
      }
      progress.tokenCount++;
      history?.push(token);
      pendingTokens.push(token);
      if (progress.tokenCount >= request.maxTokens) {
        progress.stopReason = "maxTokens";
        ended = true;
      }
      const piece = detokenizer.push(token);
      if (piece === "") continue;
      const match = stopMatcher.push(piece);
      if (match.stop !== undefined) {
        progress.stopReason = "stop";
        progress.stopString = match.stop;
        if (match.text !== "") yield emit(match.text);
        return;
      }
      if (match.text !== "") yield emit(match.text);
    }
    // A natural end: release what was held back (a split character, a possible stop string).
    const match = stopMatcher.push(detokenizer.flush());
    if (match.stop !== undefined) {
      progress.stopReason = "stop";
      progress.stopString = match.stop;
    }
    const tail = match.text + (match.stop === undefined ? stopMatcher.flush() : "");
    if (tail !== "") yield emit(tail);
  } catch (error) {
    throw wrapEngineError(error, (cause) => new GenerationError(`Generation failed: ${errorMessage(cause)}`, { cause }));
  } finally {
    // Closed from outside while suspended: by the consumer, or by an abort (dispose).
    if (progress.stopReason === "callback" && signal.aborted) progress.stopReason = "abort";
    try {
      await engineTokens?.return();
    } finally {
      lease.release();
    }
  }
}

/**
 * Drops what the sequence holds beyond the longest prefix it shares with the prompt and
 * returns the prompt tokens still to evaluate (always at least one: the engine needs the
 * last prompt token's logits to sample from).
 */
async function reuseCachedPrefix(sequence: LlamaContextSequence, promptTokens: readonly number[], progress: GenerationProgress): Promise<number[]> {
  const cached = sequence.contextTokens;
  const reusable = Math.min(commonPrefixLength(cached, promptTokens), promptTokens.length - 1);
  if (reusable < cached.length) {
    if (reusable === 0) await sequence.clearHistory();
    else await sequence.eraseContextTokenRanges([{ start: reusable, end: sequence.nextTokenIndex }]);
  }
  progress.cachedPromptTokens = reusable;
  return promptTokens.slice(reusable);
}

/**
 * Evaluates all but the last `batchSize` tokens chunk by chunk, checking the signal in
 * between (a decode in flight cannot be interrupted). Returns the final chunk, or
 * undefined when aborted.
 */
async function feedPromptInChunks(sequence: LlamaContextSequence, tokens: number[], batchSize: number, signal: AbortSignal): Promise<number[] | undefined> {
  let start = 0;
  while (tokens.length - start > batchSize) {
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(start, start + batchSize) as Token[]);
    start += batchSize;
    if (signal.aborted) return undefined;
  }
  return tokens.slice(start);
}
