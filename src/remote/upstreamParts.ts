/**
 * An OpenAI-compatible stream (completion or chat chunks) as mullama parts, with mullama's
 * guarantees kept on this side of the wire, whatever the engine does:
 * - stop strings: matched here too (StopMatcher), so a stop string is never emitted even
 *   when the engine ignores `stop` or lets part of it through; the connection is then
 *   closed, which stops the engine;
 * - whole characters: JSON strings carry whole code points, but a `\ud83d` escape at the
 *   end of one chunk with its pair in the next would split one; a trailing high surrogate
 *   is held until its pair comes. A U+FFFD that the engine sends is passed on as it is:
 *   it is a whole character on the wire, and the bytes it replaced are gone;
 * - the end: `finish_reason` (`length` is maxTokens; vLLM's `stop_reason` names the stop
 *   string it matched), the usage chunk when the engine sends one, `[DONE]`. A stream that
 *   ends before its finish reason is a broken connection, not an answer;
 * - tool calls (chat): `delta.tool_calls` become tool-call parts (upstreamToolCalls.ts),
 *   complete calls once the turn ends; a turn cut short by `length` makes no call.
 */
import { RemoteConnectionError, RemoteProtocolError } from "../errors.js";
import type { ContentPart, TextPart } from "../generation/parts.js";
import { StopMatcher } from "../generation/stopMatcher.js";
import type { GenerationEnd, GenerationTally } from "../generation/tally.js";
import { errorFromStreamEvent } from "./remoteErrors.js";
import type { ReceivedEvent } from "./serverSentEventReader.js";
import { UpstreamToolCalls } from "./upstreamToolCalls.js";

export type AnswerKind = "completion" | "chat";

/** Token counts an engine reported in its usage chunk. */
export interface ReportedUsage {
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens: number;
}

export interface UpstreamReading {
  url: string;
  kind: AnswerKind;
  stop: readonly string[];
  tally: GenerationTally;
  /** Set when the engine reports usage. */
  usage?: ReportedUsage;
}

interface Chunk {
  text: string;
  finishReason: string | undefined;
  /** vLLM: the stop string (or token id) that ended the choice. */
  stopReason: unknown;
  /** Chat: `delta.tool_calls`, as sent. */
  toolCalls: unknown;
}

/**
 * Reads one answer into parts and returns how it ended. `delivered` is called before the
 * first part goes out: from then on the answer cannot be retried.
 */
export async function* upstreamParts(events: AsyncIterable<ReceivedEvent>, reading: UpstreamReading, delivered: () => void): AsyncGenerator<ContentPart, GenerationEnd, undefined> {
  const { tally } = reading;
  const stopMatcher = new StopMatcher(reading.stop);
  const toolCalls = new UpstreamToolCalls(reading.url);
  let heldSurrogate = "";
  let finishReason: string | undefined;
  let stopReason: unknown;
  let anyDelivered = false;
  const deliver = (): number => {
    if (!anyDelivered) delivered();
    anyDelivered = true;
    const now = performance.now();
    tally.lastTokenAt = now;
    tally.firstTokenAt ??= now;
    return now;
  };
  const emit = (text: string): TextPart => {
    const now = deliver();
    tally.text += text;
    return { type: "text", text, tokens: [], index: tally.partCount++, tokenCount: tally.tokenCount, elapsedMs: now - tally.requestedAt };
  };
  for await (const event of events) {
    tally.acquiredAt ??= performance.now();
    if (event.data === "[DONE]") break;
    const payload = parseJson(reading.url, event.data);
    if (payload.error !== undefined && payload.error !== null) throw errorFromStreamEvent(reading.url, payload);
    const usage = usageOf(payload);
    if (usage !== undefined) reading.usage = usage;
    const chunk = chunkOf(reading.url, payload, reading.kind);
    if (chunk === undefined) continue;
    finishReason ??= chunk.finishReason;
    stopReason ??= chunk.stopReason;
    const callParts = toolCalls.push(chunk.toolCalls);
    if (callParts.length > 0) {
      tally.tokenCount++;
      deliver();
      yield* callParts;
    }
    if (chunk.text === "") continue;
    if (callParts.length === 0) tally.tokenCount++;
    let text = heldSurrogate + chunk.text;
    heldSurrogate = endsWithHighSurrogate(text) ? text.slice(-1) : "";
    text = text.slice(0, text.length - heldSurrogate.length);
    const match = stopMatcher.push(text);
    if (match.stop !== undefined) {
      const end: GenerationEnd = { stopReason: "stop", stopString: match.stop };
      tally.end = end;
      if (match.text !== "") yield emit(match.text);
      return end;
    }
    if (match.text !== "") yield emit(match.text);
  }
  if (finishReason === undefined) throw new RemoteConnectionError(reading.url, `The engine at ${reading.url} closed the stream before the answer finished`);
  const calling = toolCalls.any && finishReason !== "length";
  const end = calling ? { stopReason: "toolCalls" as const } : endOf(finishReason, stopReason, reading.stop);
  const completeCalls = calling ? toolCalls.finish(tally.toolCalls) : [];
  tally.end = end;
  const tail = heldSurrogate + stopMatcher.flush();
  if (tail !== "") yield emit(tail);
  yield* completeCalls;
  return end;
}

function endOf(finishReason: string, stopReason: unknown, stops: readonly string[]): GenerationEnd {
  if (finishReason === "length") return { stopReason: "maxTokens" };
  if (typeof stopReason === "string" && stops.includes(stopReason)) return { stopReason: "stop", stopString: stopReason };
  // OpenAI's "stop" covers both the end of the turn and a stop string the engine matched; without
  // vLLM's stop_reason the two look alike, and the end of the turn is the likelier reading.
  return { stopReason: "eos" };
}

function parseJson(url: string, data: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (error) {
    throw new RemoteProtocolError(url, `The engine at ${url} sent a chunk that is not JSON: ${data.slice(0, 200)}`, { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RemoteProtocolError(url, `The engine at ${url} sent a chunk that is not an object: ${data.slice(0, 200)}`);
  return value as Record<string, unknown>;
}

/** The first choice's text and finish; undefined for a chunk with no choice (the usage chunk). */
function chunkOf(url: string, payload: Record<string, unknown>, kind: AnswerKind): Chunk | undefined {
  const choices = payload.choices;
  if (choices === undefined || choices === null) return undefined;
  if (!Array.isArray(choices)) throw new RemoteProtocolError(url, `The engine at ${url} sent choices that are not a list`);
  const choice = choices[0] as Record<string, unknown> | undefined;
  if (choice === undefined) return undefined;
  const delta = kind === "chat" ? (choice.delta as { content?: unknown; tool_calls?: unknown } | undefined) : undefined;
  const content = kind === "chat" ? delta?.content : choice.text;
  if (content !== undefined && content !== null && typeof content !== "string") throw new RemoteProtocolError(url, `The engine at ${url} sent text that is not a string`);
  const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : undefined;
  return { text: content ?? "", finishReason, stopReason: choice.stop_reason, toolCalls: delta?.tool_calls };
}

function usageOf(payload: Record<string, unknown>): ReportedUsage | undefined {
  const usage = payload.usage as { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null } | null | undefined;
  if (typeof usage !== "object" || usage === null) return undefined;
  const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
  return { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens), cachedPromptTokens: count(usage.prompt_tokens_details?.cached_tokens) };
}

function endsWithHighSurrogate(text: string): boolean {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff;
}
