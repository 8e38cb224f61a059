/**
 * The WebSocket message protocol, independent of any socket library. The client sends
 * `{"type":"generate","id","prompt","options"}` and `{"type":"cancel","id"}`; the server
 * answers `{"type":"token","id","text","index"}` per piece, then `{"type":"done","id",...}`
 * or `{"type":"error","id","error":{"code","message"}}`. Ids let several generations
 * share one connection.
 */
import { toErrorInfo, type ErrorInfo } from "../errorPolicy.js";
import type { TokenStream } from "./TokenStream.js";
import { summarize, type GenerationSummary } from "./usage.js";

export type ServerMessage =
  | { type: "token"; id: string; text: string; index: number }
  | ({ type: "done"; id: string } & GenerationSummary)
  | { type: "error"; id: string | null; error: ErrorInfo };

/** Yields the JSON text of each server message for one generation. */
export async function* tokenStreamToWebSocketMessages(stream: TokenStream, id: string): AsyncGenerator<string, void, undefined> {
  try {
    for await (const event of stream) {
      yield JSON.stringify({ type: "token", id, text: event.text, index: event.index } satisfies ServerMessage);
    }
  } catch (error) {
    yield JSON.stringify({ type: "error", id, error: toErrorInfo(error) } satisfies ServerMessage);
    return;
  }
  const result = await stream.result;
  yield JSON.stringify({ type: "done", id, ...summarize(result) } satisfies ServerMessage);
}
