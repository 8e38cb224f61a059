/**
 * What an OpenAI-compatible engine's failures become: one typed error per condition (see
 * the Remote* classes in errors.ts), from an HTTP status, a failed connection, or an error
 * event inside a stream. Engines word their error bodies differently (OpenAI and vLLM
 * `{"error": {"message"}}`, Ollama `{"error": "..."}`, llama.cpp `{"error": {"code",
 * "message"}}`); every shape gives its message.
 */
import {
  RemoteAuthenticationError,
  RemoteBusyError,
  RemoteConnectionError,
  RemoteEngineError,
  RemoteModelNotFoundError,
  RemoteRequestError,
  RemoteServerError,
  errorMessage,
} from "../errors.js";

/** Most of an error body kept in a message. */
const maxMessageLength = 500;

/** The error for an answer that is not a 2xx. */
export async function errorFromResponse(url: string, response: Response, model: string): Promise<RemoteEngineError> {
  const text = await response.text().catch(() => "");
  const detail = messageOfBody(text) ?? response.statusText;
  const message = `The engine at ${url} answered ${response.status}${detail === "" ? "" : `: ${detail}`}`;
  const status = response.status;
  if (status === 401 || status === 403) return new RemoteAuthenticationError(url, status, message);
  if (status === 404) return new RemoteModelNotFoundError(url, model, message, status);
  if (status === 429 || status === 503) return new RemoteBusyError(url, status, message, retryAfterMs(response.headers.get("retry-after")));
  if (status >= 500) return new RemoteServerError(url, message, status);
  return new RemoteRequestError(url, status, message);
}

/** The error for an `error` inside a stream (the engine failed after it had answered 200). */
export function errorFromStreamEvent(url: string, payload: unknown): RemoteServerError {
  const detail = messageOfPayload(payload) ?? "unknown error";
  return new RemoteServerError(url, `The engine at ${url} failed mid-stream: ${detail}`);
}

/** The error for a fetch or a read that threw: the connection was refused, reset, or closed. */
export function errorFromFailure(url: string, error: unknown): RemoteEngineError {
  if (error instanceof RemoteEngineError) return error;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  const reason = code ?? (typeof cause?.message === "string" ? cause.message : errorMessage(error));
  return new RemoteConnectionError(url, `Cannot reach the engine at ${url}: ${reason}`, { cause: error });
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function messageOfBody(text: string): string | undefined {
  if (text.trim() === "") return undefined;
  try {
    return messageOfPayload(JSON.parse(text)) ?? text.slice(0, maxMessageLength);
  } catch {
    return text.slice(0, maxMessageLength);
  }
}

function messageOfPayload(payload: unknown): string | undefined {
  const error = (payload as { error?: unknown } | null)?.error ?? payload;
  if (typeof error === "string") return error.slice(0, maxMessageLength);
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message.slice(0, maxMessageLength) : undefined;
}
