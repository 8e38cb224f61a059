/**
 * An engine's streamed tool calls (`delta.tool_calls`) as the parts a local chat yields:
 * `tool-call-start` once a call's name is known, `tool-call-delta` for each piece of its
 * arguments as it arrives (the pieces concatenate to the call's arguments text), and one
 * `tool-call` per call, with its arguments parsed, when the turn ends to call them. Calls
 * are told apart by their `index`, as OpenAI streams them; engines that send the whole call
 * in one chunk (Ollama's `/v1`) fit the same reading.
 */
import { RemoteProtocolError } from "../errors.js";
import type { ToolCall } from "../generation/events.js";
import type { ToolCallDeltaPart, ToolCallPart, ToolCallStartPart } from "../generation/parts.js";
import { newToolCallId } from "../chat/forcedToolCall.js";

type ToolCallPiecePart = ToolCallStartPart | ToolCallDeltaPart;

interface CallInProgress {
  id: string | undefined;
  name: string | undefined;
  /** Arguments received so far; sent as deltas once the call has started. */
  argumentsText: string;
  started: boolean;
}

interface ReceivedToolCall {
  index?: unknown;
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown } | null;
}

export class UpstreamToolCalls {
  readonly #url: string;
  readonly #calls = new Map<number, CallInProgress>();

  constructor(url: string) {
    this.#url = url;
  }

  /** Whether the engine has begun any call. */
  get any(): boolean {
    return this.#calls.size > 0;
  }

  /** The parts one chunk's `delta.tool_calls` adds. */
  push(received: unknown): ToolCallPiecePart[] {
    if (received === undefined || received === null) return [];
    if (!Array.isArray(received)) throw this.#malformed("tool_calls that are not a list");
    const parts: ToolCallPiecePart[] = [];
    received.forEach((entry: ReceivedToolCall, position) => {
      if (typeof entry !== "object" || entry === null) throw this.#malformed("a tool call that is not an object");
      const index = typeof entry.index === "number" ? entry.index : position;
      const call = this.#calls.get(index) ?? { id: undefined, name: undefined, argumentsText: "", started: false };
      this.#calls.set(index, call);
      if (typeof entry.id === "string" && entry.id !== "") call.id ??= entry.id;
      const name = entry.function?.name;
      // The name comes whole with the call's first chunk; a later repeat of it changes nothing.
      if (typeof name === "string" && name !== "") call.name ??= name;
      const piece = entry.function?.arguments;
      if (piece !== undefined && piece !== null && typeof piece !== "string") throw this.#malformed("tool call arguments that are not a string");
      if (!call.started && call.name !== undefined) {
        call.id ??= newToolCallId();
        call.started = true;
        parts.push({ type: "tool-call-start", id: call.id, name: call.name });
        // Arguments that came before the name go out now, in one piece.
        if (call.argumentsText !== "") parts.push({ type: "tool-call-delta", id: call.id, argumentsDelta: call.argumentsText });
      }
      if (typeof piece === "string" && piece !== "") {
        call.argumentsText += piece;
        if (call.started) parts.push({ type: "tool-call-delta", id: call.id!, argumentsDelta: piece });
      }
    });
    return parts;
  }

  /** The complete calls, in index order, with their arguments parsed; recorded in `toolCalls`. */
  finish(toolCalls: ToolCall[]): ToolCallPart[] {
    return [...this.#calls]
      .sort(([first], [second]) => first - second)
      .map(([, call]) => {
        if (!call.started) throw this.#malformed("a tool call without a name");
        let parsed: unknown;
        try {
          // An empty text is a call without arguments (some engines send nothing for `{}`).
          parsed = JSON.parse(call.argumentsText === "" ? "{}" : call.argumentsText);
        } catch (error) {
          throw new RemoteProtocolError(this.#url, `The engine at ${this.#url} sent arguments of the tool call "${call.name}" that are not JSON: ${call.argumentsText.slice(0, 200)}`, { cause: error });
        }
        const complete: ToolCall = { id: call.id!, name: call.name!, arguments: parsed, argumentsText: call.argumentsText };
        toolCalls.push(complete);
        return { type: "tool-call", ...complete };
      });
  }

  #malformed(what: string): RemoteProtocolError {
    return new RemoteProtocolError(this.#url, `The engine at ${this.#url} sent ${what}`);
  }
}
