/**
 * The WebSocket message protocol, independent of any socket library. The client sends
 * `{"type":"generate","id","prompt","options"}` and `{"type":"cancel","id"}`; the server
 * answers `{"type":"token","id","text","index"}` per piece (with `logprobs` when the
 * options asked for them), then `{"type":"done","id",...}`
 * or `{"type":"error","id","error":{"code","message"}}`. Ids let several generations
 * share one connection.
 */
import { toErrorInfo, type ErrorInfo } from "../errorPolicy.js";
import type { TokenLogprob } from "../generation/events.js";
import { formatParts } from "./driveStream.js";
import type { WireFormat } from "./transport.js";
import type { TokenStream } from "./TokenStream.js";
import { summarizeFinish, type FinishSummary } from "./usage.js";

export type ServerMessage =
  | { type: "token"; id: string; text: string; index: number; logprobs?: TokenLogprob[] }
  | ({ type: "done"; id: string } & FinishSummary)
  | { type: "error"; id: string | null; error: ErrorInfo };

/** The messages of the generation `id` as JSON text; an error is told by the one error policy (a fault's details stay out). */
export function webSocketMessageFormat(id: string): WireFormat<string> {
  return {
    format(part) {
      switch (part.type) {
        case "text":
          return JSON.stringify({ type: "token", id, text: part.text, index: part.index, ...(part.logprobs === undefined ? {} : { logprobs: part.logprobs }) } satisfies ServerMessage);
        case "finish":
          return JSON.stringify({ type: "done", id, ...summarizeFinish(part) } satisfies ServerMessage);
        case "error":
          return webSocketErrorMessage(id, part.error);
      }
    },
  };
}

/** An error message; `id` is null when the client's message had none. */
export function webSocketErrorMessage(id: string | null, error: unknown): string {
  return JSON.stringify({ type: "error", id, error: toErrorInfo(error) } satisfies ServerMessage);
}

/** Yields the JSON text of each server message for one generation. Leaving early stops the generation. */
export async function* tokenStreamToWebSocketMessages(stream: TokenStream, id: string): AsyncGenerator<string, void, undefined> {
  yield* formatParts(stream.parts(), webSocketMessageFormat(id));
}
