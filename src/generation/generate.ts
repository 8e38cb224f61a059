/**
 * THE generation loop: a prompt in, text parts out. Every API (callback, iterator,
 * collect, SSE, WebSocket, worker bridge) is an adapter over this one loop.
 *
 * The loop is pull-based, one token ahead: as a token arrives, the engine starts decoding
 * the next one while this one is detokenized and handed on (an SSE write, a callback), so
 * the consumer's work per token overlaps the decode instead of adding to it; then nothing
 * more until the consumer asks. A slow consumer slows generation, and at most one token
 * waits for it. It returns
 * how it ended (eos, maxTokens, stop string, abort) at the place it ends; a consumer that
 * leaves closes it from outside. However it ends, the same `finally` stops the engine's
 * generator and returns the sequence.
 */
import type { LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token } from "node-llama-cpp";
import { GenerationError, errorMessage, wrapEngineError } from "../errors.js";
import { grammarEvaluationState, type CompiledGrammar } from "../engine/grammar.js";
import type { TokenLogprob } from "./events.js";
import { LogprobRecorder, type StepProbabilities } from "./logprobs.js";
import { penalizesRepetition, type ResolvedGenerationOptions } from "./options.js";
import type { OutputShaper, ShapedOutput } from "./outputShaper.js";
import type { ContentPart, TextPart } from "./parts.js";
import { prefill, type PrefillRequest, type Prefilled } from "./prefill.js";
import { samplerOptions } from "./sampling.js";
import { StopMatcher } from "./stopMatcher.js";
import type { GenerationEnd, GenerationTally } from "./tally.js";
import { IncrementalDetokenizer } from "./textDecoder.js";

export interface GenerationRequest extends PrefillRequest {
  engineModel: LlamaModel;
  /** Constrains every sampled token; its end marker ends the generation like an end of generation. */
  grammar?: CompiledGrammar | undefined;
  /** Turns the text into other parts (tool calls); a turn that made calls ends with `"toolCalls"`. */
  shaper?: OutputShaper | undefined;
  maxTokens: number;
  options: ResolvedGenerationOptions;
}

const aborted: GenerationEnd = { stopReason: "abort" };
const endOfGeneration: GenerationEnd = { stopReason: "eos" };
const maxTokensReached: GenerationEnd = { stopReason: "maxTokens" };

export async function* runGeneration(request: GenerationRequest, tally: GenerationTally): AsyncGenerator<ContentPart, GenerationEnd, undefined> {
  const { engineModel, options, signal, shaper } = request;
  let prefilled: Prefilled | undefined;
  let engineTokens: AsyncGenerator<Token, void, void | Token | Token[]> | undefined;
  /** The next token, asked for as soon as the last one arrived. */
  let nextToken: Promise<IteratorResult<Token, void>> | undefined;
  try {
    prefilled = await prefill(request, tally);
    if (prefilled === undefined) {
      tally.end = aborted;
      return aborted;
    }
    // A shaper that looks for a chat format's markers sees special tokens' text; plain text leaves it out.
    const specialTokens = shaper?.readsSpecialTokens === true;
    const detokenize = (tokens: readonly number[], lastTokens: readonly number[]) => engineModel.detokenize(tokens as Token[], specialTokens, lastTokens as Token[]);
    const detokenizer = new IncrementalDetokenizer(detokenize, request.promptTokens);
    const endMarker = request.grammar?.endMarker;
    const stopMatcher = new StopMatcher(endMarker === undefined ? options.stop : [...options.stop, endMarker]);
    const history = penalizesRepetition(options) ? [...request.promptTokens] : undefined;
    const grammarState = request.grammar === undefined ? undefined : grammarEvaluationState(engineModel, request.grammar);
    const sampling = samplerOptions(engineModel, options, history, grammarState);
    // Without logprobs the loop reads bare tokens (the fast path); with them, each step's probabilities too.
    const step: StepProbabilities = {};
    const recorder = options.logprobs === undefined ? undefined : logprobRecorder(engineModel, detokenize, options.logprobs, request.promptTokens);
    if (recorder !== undefined) tally.logprobs = [];
    // Prompt lookup (when the context has it) looks for the output in this prompt.
    prefilled.lease.sequence.tokenPredictor?.updateInputTokens?.(request.promptTokens as Token[]);
    engineTokens = recorder === undefined ? prefilled.lease.sequence.evaluate(prefilled.lastChunk as Token[], sampling) : evaluateWithProbabilities(prefilled.lease.sequence, prefilled.lastChunk, sampling, options.logprobs!, step);
    nextToken = engineTokens.next();
    let pendingTokens: number[] = [];
    let pendingLogprobs: TokenLogprob[] = [];
    const emit = (text: string): TextPart => {
      tally.text += text;
      const part: TextPart = { type: "text", text, tokens: pendingTokens, index: tally.partCount++, tokenCount: tally.tokenCount, elapsedMs: performance.now() - tally.requestedAt };
      if (recorder !== undefined) {
        part.logprobs = pendingLogprobs;
        tally.logprobs!.push(...pendingLogprobs);
        pendingLogprobs = [];
      }
      pendingTokens = [];
      return part;
    };
    // With a shaper, each piece of text becomes whatever parts it makes (text, reasoning, tool-call steps).
    const shaped = function* (outputs: ShapedOutput[]): Generator<ContentPart> {
      for (const output of outputs) {
        if (output.type === "text") {
          if (output.text !== "") yield emit(output.text);
          continue;
        }
        if (output.type === "reasoning") {
          if (output.text === "") continue;
          tally.reasoning += output.text;
        }
        if (output.type === "tool-call") tally.toolCalls.push({ id: output.id, name: output.name, arguments: output.arguments, argumentsText: output.argumentsText });
        yield output;
      }
    };

    // The end is recorded the moment it is known, before the last text goes out: a
    // consumer that leaves on that text does not change why the generation ended.
    while (tally.end === undefined) {
      if (signal.aborted) {
        tally.end = aborted;
        break;
      }
      const next = await nextToken!;
      nextToken = undefined;
      if (next.done) {
        tally.end = endOfGeneration;
        break;
      }
      const token: number = next.value;
      tally.lastTokenAt = performance.now();
      if (tally.firstTokenAt === undefined) {
        tally.firstTokenAt = tally.lastTokenAt;
        options.onPromptProgress?.(request.promptTokens.length, request.promptTokens.length);
      }
      if (engineModel.isEogToken(token as Token)) {
        tally.end = endOfGeneration;
        break;
      }
      tally.tokenCount++;
      history?.push(token);
      pendingTokens.push(token);
      if (recorder !== undefined) pendingLogprobs.push(recorder.record(token, step));
      // The text of this last token still goes out below.
      if (tally.tokenCount >= request.maxTokens) tally.end = maxTokensReached;
      // Asked before this token's text goes out: the decode runs while it does. The history
      // (repeat penalty) already holds this token, which the next sampling reads.
      else nextToken = engineTokens.next();
      const piece = detokenizer.push(token);
      if (piece === "") continue;
      const match = stopMatcher.push(piece);
      if (match.stop === undefined) {
        if (match.text === "") continue;
        if (shaper === undefined) yield emit(match.text);
        else yield* shaped(shaper.push(match.text));
        continue;
      }
      // The grammar's end marker means the constrained value is complete: the model's turn ended.
      const stopped: GenerationEnd = match.stop === endMarker ? endOfGeneration : { stopReason: "stop", stopString: match.stop };
      tally.end = stopped;
      if (shaper !== undefined) return yield* endShaped(shaper, match.text, stopped);
      if (match.text !== "") yield emit(match.text);
      return stopped;
    }
    // Not a stop string: release what was held back (a split character, a possible stop string).
    const tail = stopMatcher.push(detokenizer.flush());
    if (tail.stop !== undefined) tally.end = tail.stop === endMarker ? endOfGeneration : { stopReason: "stop", stopString: tail.stop };
    const text = tail.stop === undefined ? tail.text + stopMatcher.flush() : tail.text;
    if (shaper !== undefined) return yield* endShaped(shaper, text, tally.end);
    if (text !== "") yield emit(text);
    return tally.end;

    /** The last text through the shaper, then what it held back; a turn that ended by itself after calls ended to call tools. */
    function* endShaped(active: OutputShaper, last: string, end: GenerationEnd): Generator<ContentPart, GenerationEnd> {
      if (last !== "") yield* shaped(active.push(last));
      yield* shaped(active.end(end.stopReason === "eos"));
      if (end.stopReason === "eos" && tally.toolCalls.length > 0) tally.end = { stopReason: "toolCalls" };
      return tally.end!;
    }
  } catch (error) {
    throw wrapEngineError(error, (cause) => new GenerationError(`Generation failed: ${errorMessage(cause)}`, { cause }));
  } finally {
    try {
      // A token asked for ahead is decoded by now or soon; the generator ends after it.
      await nextToken?.catch(() => {});
      await engineTokens?.return();
    } finally {
      prefilled?.lease.release();
    }
  }
}

function logprobRecorder(engineModel: LlamaModel, detokenize: (tokens: readonly number[], lastTokens: readonly number[]) => string, alternatives: number, promptTokens: readonly number[]): LogprobRecorder {
  const tokenizer = engineModel.fileInfo.metadata.tokenizer?.ggml;
  return new LogprobRecorder(detokenize, { pieces: tokenizer?.tokens as readonly string[] | undefined, kind: tokenizer?.model }, alternatives, promptTokens);
}

/** The engine's tokens with each step's probabilities, which it leaves in `step` for the token it yields. */
async function* evaluateWithProbabilities(sequence: LlamaContextSequence, tokens: number[], sampling: SequenceEvaluateOptions, alternatives: number, step: StepProbabilities): AsyncGenerator<Token, void, void> {
  // The full distribution only when alternatives are asked for: the chosen token's alone is cheaper.
  const metadata = alternatives > 0 ? ({ probabilities: true, confidence: true } as const) : ({ confidence: true } as const);
  for await (const output of sequence.evaluateWithMetadata(tokens as Token[], metadata, sampling)) {
    step.confidence = output.confidence;
    step.probabilities = "probabilities" in output ? (output.probabilities as ReadonlyMap<number, number>) : undefined;
    yield output.token;
  }
}
