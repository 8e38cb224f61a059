/**
 * The page's two calls to the server, both OpenAI-compatible: `GET v1/models` and a
 * streamed `POST v1/chat/completions` (with `stream_options.include_usage`, so the last
 * chunk carries the token counts). URLs are relative to the page, so the page also works
 * behind a proxy that mounts the server under a path. Aborting the signal closes the
 * connection, and the server stops that generation within a token.
 */
import { readServerSentEvents } from "./serverSentEvents.js";

export interface ChatTurn {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatTurn[];
  temperature: number;
  /** Omitted: the server generates until the end of the turn or of the context. */
  maxTokens?: number;
}

export type ChatStreamPart =
  | { type: "text"; text: string }
  | { type: "finish"; reason: string }
  | { type: "usage"; promptTokens: number; completionTokens: number };

/** A refusal from the server (status and OpenAI-shaped message), or a stream that broke off. */
export class ApiError extends Error {
  /** The HTTP status; 0 when the failure came inside a stream that had started. */
  readonly status: number;
  /** The error body's `code` (`missing_api_key`, `model_loading`, ...), when it has one. */
  readonly code: string | undefined;

  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function headers(apiKey: string, json = false): Record<string, string> {
  return { ...(apiKey.trim() === "" ? {} : { authorization: `Bearer ${apiKey.trim()}` }), ...(json ? { "content-type": "application/json" } : {}) };
}

export async function listModels(apiKey: string): Promise<string[]> {
  const response = await fetch("v1/models", { headers: headers(apiKey) });
  if (!response.ok) throw await errorOf(response);
  const body = (await response.json()) as { data?: { id?: unknown }[] };
  return (body.data ?? []).map((model) => model.id).filter((id): id is string => typeof id === "string");
}

export async function* streamChat(request: ChatRequest, apiKey: string, signal: AbortSignal): AsyncGenerator<ChatStreamPart> {
  const response = await fetch("v1/chat/completions", {
    method: "POST",
    headers: headers(apiKey, true),
    body: JSON.stringify({
      model: request.model,
      messages: request.messages,
      temperature: request.temperature,
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      stream: true,
      stream_options: { include_usage: true },
    }),
    signal,
  });
  if (!response.ok || response.body === null) throw await errorOf(response);
  for await (const event of readServerSentEvents(response.body)) {
    if (event.data === "[DONE]") return;
    const chunk = JSON.parse(event.data) as ChatChunk;
    if (chunk.error !== undefined) throw new ApiError(0, chunk.error.message ?? "The server reported an error", chunk.error.code);
    const choice = chunk.choices?.[0];
    const text = choice?.delta?.content;
    if (typeof text === "string" && text !== "") yield { type: "text", text };
    if (typeof choice?.finish_reason === "string") yield { type: "finish", reason: choice.finish_reason };
    if (chunk.usage != null) yield { type: "usage", promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
  }
  throw new ApiError(0, "The connection ended before the answer did");
}

interface ChatChunk {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  error?: { message?: string; code?: string };
}

/** The message and code of an OpenAI-shaped error body (`{"error": {"message", "code"}}`), or the status line. */
async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`.trim();
  let code: string | undefined;
  try {
    const body = (await response.json()) as { error?: { message?: unknown; code?: unknown } | string };
    const detail = typeof body.error === "string" ? body.error : body.error?.message;
    if (typeof detail === "string" && detail !== "") message = detail;
    if (typeof body.error === "object" && typeof body.error.code === "string") code = body.error.code;
  } catch {
    // Not JSON (a proxy's HTML page): the status line says enough.
  }
  return new ApiError(response.status, message, code);
}
