/**
 * The one place where errors become HTTP responses. Every route throws (or the framework
 * raises) an error; `toHttpError` picks the status and writes the body in the shape the
 * caller's protocol expects:
 *   OpenAI (`/v1/*`)   `{"error": {"message", "type", "param", "code"}}`
 *   Ollama (`/api/*`)  `{"error": "..."}`
 *   native (the rest)  `{"error": {"code", "message"}}`
 * Only genuine faults become 500s, and their details stay in the log, not in the body.
 */
import { MullamaError, type ServerErrorCode } from "../errors.js";

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

/**
 * An error the server raises about a request: it carries its HTTP status, a stable
 * upper-case code (`MODEL_NOT_FOUND`), the offending field when there is one, and extra
 * headers (`Retry-After`, `WWW-Authenticate`).
 */
export class RequestError extends MullamaError {
  readonly status: number;
  /** The request field at fault, for example `"messages[0].content"`; null when none. */
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: ServerErrorCode, message: string, options: { param?: string | null; headers?: Record<string, string> } = {}) {
    super(code, message);
    this.status = status;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

export function badRequest(message: string, param: string | null = null, code: ServerErrorCode = "INVALID_REQUEST"): RequestError {
  return new RequestError(400, code, message, { param });
}

export function unsupported(param: string, message: string): RequestError {
  return new RequestError(400, "UNSUPPORTED_PARAMETER", message, { param });
}

export function modelNotFound(name: string, served: string): RequestError {
  return new RequestError(404, "MODEL_NOT_FOUND", `The model "${name}" does not exist on this server; it serves "${served}"`, { param: "model" });
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

interface Classified {
  status: number;
  code: string;
  message: string;
  param: string | null;
  headers: Record<string, string>;
}

export function toHttpError(error: unknown, protocol: Protocol): HttpErrorResponse {
  const classified = classify(error);
  return {
    status: classified.status,
    headers: classified.headers,
    body: formatBody(classified, protocol),
    code: classified.code,
    message: classified.message,
    logLevel: classified.status >= 500 && classified.status !== 503 ? "error" : "warn",
  };
}

/** Core error codes: the client's mistake (4xx), a busy or closing server (503), or a fault (500). */
const statusOfCoreCode: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  CONTEXT_OVERFLOW: 400,
  TOKENIZATION_FAILED: 400,
  SEQUENCE_UNAVAILABLE: 503,
  DISPOSED: 503,
};

function classify(error: unknown): Classified {
  if (error instanceof RequestError) {
    return { status: error.status, code: error.code, message: error.message, param: error.param, headers: { ...error.headers } };
  }
  if (error instanceof MullamaError) {
    const status = statusOfCoreCode[error.code] ?? 500;
    const param = "argument" in error && typeof error.argument === "string" ? error.argument : null;
    return { status, code: error.code, message: status === 500 ? "Internal server error" : error.message, param, headers: {} };
  }
  const framework = frameworkError(error);
  if (framework !== undefined) return framework;
  return { status: 500, code: "INTERNAL_ERROR", message: "Internal server error", param: null, headers: {} };
}

/** Fastify's own client errors (body too large, bad content length) keep their 4xx status. */
function frameworkError(error: unknown): Classified | undefined {
  if (!(error instanceof Error)) return undefined;
  const { statusCode, code } = error as Error & { statusCode?: unknown; code?: unknown };
  if (typeof statusCode !== "number" || statusCode < 400 || statusCode >= 500) return undefined;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, code: "BODY_TOO_LARGE", message: "The request body is larger than the server's limit", param: null, headers: {} };
  }
  return { status: statusCode, code: "INVALID_REQUEST", message: error.message, param: null, headers: {} };
}

function formatBody(error: Classified, protocol: Protocol): unknown {
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
  if (status === 404) return "invalid_request_error";
  if (status < 500) return "invalid_request_error";
  return "server_error";
}

/** OpenAI codes are lower-case; clients look for `context_length_exceeded` by name. */
function openAiCode(code: string): string {
  return code === "CONTEXT_OVERFLOW" ? "context_length_exceeded" : code.toLowerCase();
}
