/**
 * The one error policy: what any error may tell the outside world. Every answer that
 * carries an error (an HTTP route, an in-stream error event on any protocol, the library's
 * SSE and WebSocket adapters) is built from {@link describeError}, so the same error reads
 * the same everywhere. A caller's mistake or a busy server is described in full; a genuine
 * fault is only "Internal server error", and its details belong in the log.
 */
import { MullamaError, RemoteBusyError, RequestError } from "./errors.js";

/** An error as a client may see it. */
export interface PublicError {
  /** HTTP status: 4xx for the caller's mistakes, 503 for a busy or closing server, 500 for a fault. */
  status: number;
  /** A stable upper-case code: a {@link MullamaError} code, `INTERNAL_ERROR` or `BODY_TOO_LARGE`. */
  code: string;
  /** Safe to show: a fault's own message never appears here. */
  message: string;
  /** The request field at fault, for example `"options.topP"`; null when none. */
  param: string | null;
  /** Extra response headers (`Retry-After`, `WWW-Authenticate`). */
  headers: Record<string, string>;
  /** A genuine fault (status 500): worth an error log line with the stack. */
  fault: boolean;
}

/** A plain, serializable `{code, message}` of any error, for wire formats. */
export interface ErrorInfo {
  code: string;
  message: string;
}

/** What a fault says about itself. */
export const faultMessage = "Internal server error";

/** Core codes that are not faults: the caller's mistake (4xx), or a busy or closing context (503). */
const statusOfCoreCode: Partial<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  CONTEXT_OVERFLOW: 400,
  TOKENIZATION_FAILED: 400,
  SEQUENCE_UNAVAILABLE: 503,
  DISPOSED: 503,
  MODEL_NOT_FOUND: 404,
  // The upstream hub failed or refused (its own status is in the message): a gateway's failure, not ours.
  PULL_FAILED: 502,
  // Cancelled: by a client that left, or by shutdown.
  ABORTED: 503,
  // A gateway's upstream engine failed or could not be reached: its failure, not ours nor the caller's.
  REMOTE_FAILED: 502,
  REMOTE_UNREACHABLE: 502,
  REMOTE_PROTOCOL_ERROR: 502,
  REMOTE_BUSY: 503,
  REMOTE_MODEL_NOT_FOUND: 404,
  REMOTE_REJECTED: 400,
};

export function describeError(error: unknown): PublicError {
  if (error instanceof RequestError) {
    return { status: error.status, code: error.code, message: error.message, param: error.param, headers: { ...error.headers }, fault: error.status >= 500 && error.status !== 503 };
  }
  if (error instanceof MullamaError) {
    const status = statusOfCoreCode[error.code];
    const param = "argument" in error && typeof error.argument === "string" ? error.argument : null;
    // A busy upstream's Retry-After is passed on, so the caller waits as long as the engine asked.
    const headers: Record<string, string> = error instanceof RemoteBusyError && error.retryAfterMs !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) } : {};
    if (status !== undefined) return { status, code: error.code, message: error.message, param, headers, fault: false };
    return { status: 500, code: error.code, message: faultMessage, param: null, headers: {}, fault: true };
  }
  return frameworkError(error) ?? { status: 500, code: "INTERNAL_ERROR", message: faultMessage, param: null, headers: {}, fault: true };
}

/** `{code, message}` of any error, by the same policy: a fault's details are left out. */
export function toErrorInfo(error: unknown): ErrorInfo {
  const { code, message } = describeError(error);
  return { code, message };
}

/** A web framework's own client errors (body too large, bad content length) keep their 4xx status. */
function frameworkError(error: unknown): PublicError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { statusCode, code } = error as Error & { statusCode?: unknown; code?: unknown };
  if (typeof statusCode !== "number" || statusCode < 400 || statusCode >= 500) return undefined;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, code: "BODY_TOO_LARGE", message: "The request body is larger than the server's limit", param: null, headers: {}, fault: false };
  }
  return { status: statusCode, code: "INVALID_REQUEST", message: error.message, param: null, headers: {}, fault: false };
}
