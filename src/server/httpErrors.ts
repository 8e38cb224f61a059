/**
 * The one place where errors become HTTP responses. Every route throws (or the framework
 * raises) an error; `toHttpError` picks the status and writes the body in the shape the
 * caller's protocol expects:
 *   OpenAI (`/v1/*`)   `{"error": {"message", "type", "param", "code"}}`
 *   Ollama (`/api/*`)  `{"error": "..."}`
 *   native (the rest)  `{"error": {"code", "message"}}`
 * What an error may say is decided by the one policy in src/errorPolicy.ts: only genuine
 * faults become 500s, and their details stay in the log, not in the body.
 */
import { describeError, type PublicError } from "../errorPolicy.js";
import { MullamaError, RequestError, type ServerErrorCode } from "../errors.js";

export { RequestError };

/** Which wire format a route speaks; it decides the error body's shape. */
export type Protocol = "openai" | "ollama" | "native";

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

export function protocolOf(url: string): Protocol {
  if (url === "/v1" || url.startsWith("/v1/")) return "openai";
  if (url === "/api" || url.startsWith("/api/")) return "ollama";
  return "native";
}

export function badRequest(message: string, param: string | null = null, code: ServerErrorCode = "INVALID_REQUEST"): RequestError {
  return new RequestError(400, code, message, { param });
}

export function unsupported(param: string, message: string): RequestError {
  return new RequestError(400, "UNSUPPORTED_PARAMETER", message, { param });
}

export function modelNotFound(name: string, served: readonly string[]): RequestError {
  const serves = served.length === 0 ? "it serves no model yet" : `it serves ${served.map((id) => `"${id}"`).join(", ")}`;
  return new RequestError(404, "MODEL_NOT_FOUND", `The model "${name}" does not exist on this server; ${serves}`, { param: "model" });
}

/** Every sequence is busy and the waiting line is full: come back in `retryAfterSeconds`. */
export function serverBusy(retryAfterSeconds: number): RequestError {
  return new RequestError(503, "SERVER_BUSY", "The server is at capacity: every sequence is busy and the queue is full; retry later", {
    headers: { "retry-after": String(retryAfterSeconds) },
  });
}

export function unavailable(code: Extract<ServerErrorCode, "MODEL_LOADING" | "SHUTTING_DOWN" | "MODEL_FAILED">, message: string): RequestError {
  return new RequestError(503, code, message, { headers: code === "MODEL_LOADING" ? { "retry-after": "1" } : {} });
}

/** The final word of a stream that shutdown cut short. */
export function cancelledByShutdown(): RequestError {
  return unavailable("SHUTTING_DOWN", "The generation was cancelled because the server is shutting down");
}

/**
 * Why a generation the server still answers was cut short, as an error to report: its
 * abort reason when that is one of ours (shutdown's SHUTTING_DOWN, a disposed context),
 * else SHUTTING_DOWN, the one reason the server cuts a stream whose client is still there.
 */
export function cancellation(abortReason: unknown): MullamaError {
  return abortReason instanceof MullamaError ? abortReason : cancelledByShutdown();
}

/** What a caller needs to answer with: status, headers, body, and how loudly to log it. */
export interface HttpErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** The code and message that went into the body, for logs and WebSocket messages. */
  code: string;
  message: string;
  /** `warn` for the client's mistakes and busy answers, `error` for the server's own faults. */
  logLevel: "warn" | "error";
}

/** Any error as a status and a body in the protocol's shape (see {@link describeError} for what it may say). */
export function toHttpError(error: unknown, protocol: Protocol): HttpErrorResponse {
  const described = describeError(error);
  return {
    status: described.status,
    headers: described.headers,
    body: errorBody(described, protocol),
    code: described.code,
    message: described.message,
    logLevel: described.fault ? "error" : "warn",
  };
}

/** The error body of a protocol, for a whole response or an in-stream error. */
export function errorBody(error: PublicError, protocol: Protocol): unknown {
  switch (protocol) {
    case "openai":
      return { error: { message: error.message, type: openAiType(error.status), param: error.param, code: openAiCode(error.code) } };
    case "ollama":
      return { error: error.message };
    case "native":
      return { error: { code: error.code, message: error.message } };
  }
}

function openAiType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status < 500) return "invalid_request_error";
  return "server_error";
}

/** OpenAI codes are lower-case; clients look for `context_length_exceeded` by name. */
function openAiCode(code: string): string {
  return code === "CONTEXT_OVERFLOW" ? "context_length_exceeded" : code.toLowerCase();
}
