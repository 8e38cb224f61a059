/**
 * THE generation loop: a prompt in, text parts out. Every API (callback, iterator,
 * collect, SSE, WebSocket, worker bridge) is an adapter over this one loop.
 *
 * The loop is pull-based: the engine decodes the next token only when the consumer asks
 * for the next part, so a slow consumer slows generation and nothing buffers. It returns
 * how it ended (eos, maxTokens, stop string, abort) at the place it ends; a consumer that
 * leaves closes it from outside. However it ends, the same `finally` stops the engine's
 * generator and returns the sequence.
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { GenerationError, errorMessage, wrapEngineError } from "../errors.js";
import { repeatPenaltyWindow, type ResolvedGenerationOptions } from "./options.js";
import type { TextPart } from "./parts.js";
import { prefill, type PrefillRequest, type Prefilled } from "./prefill.js";
import { StopMatcher } from "./stopMatcher.js";
import type { GenerationEnd, GenerationTally } from "./tally.js";
import { IncrementalDetokenizer } from "./textDecoder.js";

export interface GenerationRequest extends PrefillRequest {
  engineModel: LlamaModel;
  maxTokens: number;
  options: ResolvedGenerationOptions;
}

const aborted: GenerationEnd = { stopReason: "abort" };
const endOfGeneration: GenerationEnd = { stopReason: "eos" };
const maxTokensReached: GenerationEnd = { stopReason: "maxTokens" };

export async function* runGeneration(request: GenerationRequest, tally: GenerationTally): AsyncGenerator<TextPart, GenerationEnd, undefined> {
  const { engineModel, options, signal } = request;
  let prefilled: Prefilled | undefined;
  let engineTokens: AsyncGenerator<Token, void, void | Token | Token[]> | undefined;
  try {
    prefilled = await prefill(request, tally);
    if (prefilled === undefined) {
      tally.end = aborted;
      return aborted;
    }
    const detokenizer = new IncrementalDetokenizer((tokens, lastTokens) => engineModel.detokenize(tokens as Token[], false, lastTokens as Token[]), request.promptTokens);
    const stopMatcher = new StopMatcher(options.stop);
    const history = options.repeatPenalty === 1 ? undefined : [...request.promptTokens];
    engineTokens = evaluate(prefilled.lease.sequence, prefilled.lastChunk, options, history);
    let pendingTokens: number[] = [];
    const emit = (text: string): TextPart => {
      tally.text += text;
      const part: TextPart = { type: "text", text, tokens: pendingTokens, index: tally.partCount++, tokenCount: tally.tokenCount, elapsedMs: performance.now() - tally.requestedAt };
      pendingTokens = [];
      return part;
    };

    // The end is recorded the moment it is known, before the last text goes out: a
    // consumer that leaves on that text does not change why the generation ended.
    while (tally.end === undefined) {
      if (signal.aborted) {
        tally.end = aborted;
        break;
      }
      const next = await engineTokens.next();
      if (next.done) {
        tally.end = endOfGeneration;
        break;
      }
      const token: number = next.value;
      tally.lastTokenAt = performance.now();
      tally.firstTokenAt ??= tally.lastTokenAt;
      if (engineModel.isEogToken(token as Token)) {
        tally.end = endOfGeneration;
        break;
      }
      tally.tokenCount++;
      history?.push(token);
      pendingTokens.push(token);
      // The text of this last token still goes out below.
      if (tally.tokenCount >= request.maxTokens) tally.end = maxTokensReached;
      const piece = detokenizer.push(token);
      if (piece === "") continue;
      const match = stopMatcher.push(piece);
      if (match.stop === undefined) {
        if (match.text !== "") yield emit(match.text);
        continue;
      }
      const stopped: GenerationEnd = { stopReason: "stop", stopString: match.stop };
      tally.end = stopped;
      if (match.text !== "") yield emit(match.text);
      return stopped;
    }
    // Not a stop string: release what was held back (a split character, a possible stop string).
    const tail = stopMatcher.push(detokenizer.flush());
    if (tail.stop !== undefined) tally.end = { stopReason: "stop", stopString: tail.stop };
    const text = tail.stop === undefined ? tail.text + stopMatcher.flush() : tail.text;
    if (text !== "") yield emit(text);
    return tally.end;
  } catch (error) {
    throw wrapEngineError(error, (cause) => new GenerationError(`Generation failed: ${errorMessage(cause)}`, { cause }));
  } finally {
    try {
      await engineTokens?.return();
    } finally {
      prefilled?.lease.release();
    }
  }
}

function evaluate(sequence: LlamaContextSequence, tokens: number[], options: ResolvedGenerationOptions, history: number[] | undefined) {
  return sequence.evaluate(tokens as Token[], {
    temperature: options.temperature,
    topK: options.topK,
    topP: options.topP,
    minP: options.minP,
    seed: options.seed,
    yieldEogToken: true,
    ...(history === undefined ? {} : { repeatPenalty: { punishTokens: () => history.slice(-repeatPenaltyWindow) as Token[], penalty: options.repeatPenalty } }),
  });
}
