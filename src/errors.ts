/**
 * The error tree. Every error mullama throws is a {@link MullamaError} with a stable
 * `code` string that callers (and the HTTP layer) can switch on. Raw native errors never
 * leak out: they are wrapped, and kept as `cause`.
 */

/** Stable error codes. Never renamed once published. */
export type MullamaErrorCode =
  | "MODEL_LOAD_FAILED"
  | "CONTEXT_FAILED"
  | "TOKENIZATION_FAILED"
  | "GENERATION_FAILED"
  | "CONTEXT_OVERFLOW"
  | "INVALID_ARGUMENT"
  | "SEQUENCE_UNAVAILABLE"
  | "DISPOSED"
  | "CHANNEL_CLOSED"
  | "PULL_FAILED"
  | "ABORTED"
  | "ENGINE_BUILD_FAILED"
  | RemoteErrorCode
  | ServerErrorCode;

/** Codes of the errors a remote engine's answers become (see {@link RemoteEngineError}). */
export type RemoteErrorCode =
  | "REMOTE_UNAUTHORIZED"
  | "REMOTE_MODEL_NOT_FOUND"
  | "REMOTE_BUSY"
  | "REMOTE_REJECTED"
  | "REMOTE_FAILED"
  | "REMOTE_UNREACHABLE"
  | "REMOTE_PROTOCOL_ERROR";

/** Codes of the errors the HTTP server raises about a request (see {@link RequestError}). */
export type ServerErrorCode =
  | "INVALID_JSON"
  | "INVALID_REQUEST"
  | "UNKNOWN_PARAMETER"
  | "UNSUPPORTED_PARAMETER"
  | "DUPLICATE_ID"
  | "MISSING_API_KEY"
  | "INVALID_API_KEY"
  | "ORIGIN_NOT_ALLOWED"
  | "NOT_FOUND"
  | "MODEL_NOT_FOUND"
  | "UPGRADE_REQUIRED"
  | "SERVER_BUSY"
  | "MODEL_LOADING"
  | "MODEL_FAILED"
  | "MODEL_BUSY"
  | "INSUFFICIENT_MEMORY"
  | "NO_MODEL_STORE"
  | "NO_UPSTREAM"
  | "SHUTTING_DOWN";

export interface MullamaErrorOptions {
  cause?: unknown;
}

/** Root of every error mullama throws. */
export class MullamaError extends Error {
  /** A stable machine-readable code, for example `"CONTEXT_OVERFLOW"`. */
  readonly code: MullamaErrorCode;

  constructor(code: MullamaErrorCode, message: string, options?: MullamaErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A model file could not be loaded: missing, unreadable, not GGUF, damaged or unsupported. */
export class ModelLoadError extends MullamaError {
  /** The path that was given to {@link Model.load}. */
  readonly path: string;
  /** A short reason, for example `"not a GGUF file (bad magic)"`. */
  readonly reason: string;

  constructor(path: string, reason: string, options?: MullamaErrorOptions) {
    super("MODEL_LOAD_FAILED", `Cannot load model "${path}": ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/**
 * A context could not be created (`CONTEXT_FAILED`). Something used after `dispose()` is
 * its subclass {@link DisposedError} (`DISPOSED`).
 */
export class ContextError extends MullamaError {
  constructor(message: string, options?: MullamaErrorOptions) {
    super("CONTEXT_FAILED", message, options);
  }
}

/** Text could not be tokenized, or token ids were outside the vocabulary. */
export class TokenizationError extends MullamaError {
  constructor(message: string, options?: MullamaErrorOptions) {
    super("TOKENIZATION_FAILED", message, options);
  }
}

/** Generation failed part-way: an engine fault, or the token callback threw (see `cause`). */
export class GenerationError extends MullamaError {
  constructor(message: string, options?: MullamaErrorOptions) {
    super("GENERATION_FAILED", message, options);
  }
}

/** The prompt alone fills one sequence's context: no room is left to generate (a larger maxTokens than the room left is not an error; it stops when the context is full). */
export class ContextOverflowError extends MullamaError {
  readonly promptTokens: number;
  readonly maxTokens: number;
  readonly contextSize: number;

  /** `message` replaces the default one, for inputs that generate nothing (an embedding input). */
  constructor(promptTokens: number, maxTokens: number, contextSize: number, message?: string) {
    super(
      "CONTEXT_OVERFLOW",
      message ?? `The prompt (${promptTokens} tokens) leaves no room to generate: it fills or exceeds the context size (${contextSize} tokens)`,
    );
    this.promptTokens = promptTokens;
    this.maxTokens = maxTokens;
    this.contextSize = contextSize;
  }
}

/** A caller passed a bad value: NaN or negative limits, unknown options, an empty path. */
export class InvalidArgumentError extends MullamaError {
  /** Dotted path of the offending argument, for example `"options.maxTokens"`. */
  readonly argument: string;

  constructor(argument: string, message: string, options?: MullamaErrorOptions) {
    super("INVALID_ARGUMENT", `Invalid ${argument}: ${message}`, options);
    this.argument = argument;
  }
}

/** Every sequence of a context is busy and the caller asked not to wait (`wait: false`). */
export class SequenceUnavailableError extends MullamaError {
  constructor(message = "All sequences of this context are busy") {
    super("SEQUENCE_UNAVAILABLE", message);
  }
}

/**
 * Something (a model, a context) was used after `dispose()`: the one class for the code
 * `DISPOSED`. It extends ContextError because a disposed context has always answered
 * `instanceof ContextError`, and code that catches that keeps working.
 */
export class DisposedError extends ContextError {
  override readonly code = "DISPOSED";
  /** What was disposed, for example `"Context"`. */
  readonly what: string;

  constructor(what: string) {
    super(`${what} has been disposed`);
    this.what = what;
  }
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

/** A value was sent into, or awaited from, a channel that is closed. */
export class ChannelClosedError extends MullamaError {
  constructor(message = "The channel is closed") {
    super("CHANNEL_CLOSED", message);
  }
}

/** What went wrong in a pull, for callers that react differently (retry later, ask for a token, free space). */
export type PullFailure = "not-found" | "unauthorized" | "network" | "server" | "corrupt" | "disk-full" | "storage";

/**
 * A model could not be pulled into the store. Nothing of it is left in the store; when
 * `resumable` is true the bytes received so far are kept aside, and the same pull resumes
 * from them.
 */
export class PullError extends MullamaError {
  /** The reference that was pulled, as given. */
  readonly reference: string;
  readonly failure: PullFailure;
  /** A short reason, for example `"the repository was not found (HTTP 404)"`. */
  readonly reason: string;
  /** The HTTP status that ended the pull, when one did. */
  readonly httpStatus: number | undefined;
  /** Whether the bytes received so far were kept, so that pulling again resumes. */
  readonly resumable: boolean;

  constructor(reference: string, failure: PullFailure, reason: string, options?: MullamaErrorOptions & { httpStatus?: number; resumable?: boolean }) {
    super("PULL_FAILED", `Cannot pull "${reference}": ${reason}`, options);
    this.reference = reference;
    this.failure = failure;
    this.reason = reason;
    this.httpStatus = options?.httpStatus;
    this.resumable = options?.resumable ?? false;
  }
}

/** A name or reference that is not in the model store. */
export class ModelNotFoundError extends MullamaError {
  /** What was looked up, as given. */
  readonly model: string;

  constructor(model: string, message: string) {
    super("MODEL_NOT_FOUND", message);
    this.model = model;
  }
}

/** An operation that has no partial result (a pull, an embedding) was cancelled through its AbortSignal. */
export class AbortedError extends MullamaError {
  constructor(what: string, options?: MullamaErrorOptions) {
    super("ABORTED", `${what} was aborted`, options);
  }
}

/**
 * A remote engine (an OpenAI-compatible server behind `Context.connect`) refused or failed
 * a request. The subclass says which way; `status` is the HTTP status when there was one.
 */
export class RemoteEngineError extends MullamaError {
  declare readonly code: RemoteErrorCode;
  /** The HTTP status of the engine's answer; undefined when none came (a connection failure, a bad chunk). */
  readonly status: number | undefined;
  /** The URL that was requested. */
  readonly url: string;

  constructor(code: RemoteErrorCode, url: string, message: string, options?: MullamaErrorOptions & { status?: number }) {
    super(code, message, options);
    this.url = url;
    this.status = options?.status;
  }
}

/** The engine refused the API key (HTTP 401 or 403). */
export class RemoteAuthenticationError extends RemoteEngineError {
  constructor(url: string, status: number, message: string) {
    super("REMOTE_UNAUTHORIZED", url, message, { status });
  }
}

/** The engine does not serve the model that was asked for (HTTP 404, or missing from its `/models`). */
export class RemoteModelNotFoundError extends RemoteEngineError {
  /** The model name that was asked for. */
  readonly model: string;

  constructor(url: string, model: string, message: string, status?: number) {
    super("REMOTE_MODEL_NOT_FOUND", url, message, status === undefined ? undefined : { status });
    this.model = model;
  }
}

/** The engine is full or rate-limiting (HTTP 429 or 503); retrying later may work. */
export class RemoteBusyError extends RemoteEngineError {
  /** How long the engine asked to wait (its `Retry-After`), in milliseconds; undefined when it did not say. */
  readonly retryAfterMs: number | undefined;

  constructor(url: string, status: number, message: string, retryAfterMs: number | undefined) {
    super("REMOTE_BUSY", url, message, { status });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The engine rejected the request itself (another 4xx): retrying the same request will not help. */
export class RemoteRequestError extends RemoteEngineError {
  constructor(url: string, status: number, message: string) {
    super("REMOTE_REJECTED", url, message, { status });
  }
}

/** The engine failed (HTTP 5xx, or an error event in the middle of its stream). */
export class RemoteServerError extends RemoteEngineError {
  constructor(url: string, message: string, status?: number) {
    super("REMOTE_FAILED", url, message, status === undefined ? undefined : { status });
  }
}

/** The engine could not be reached, or the connection broke (refused, reset, timed out, closed mid-answer). */
export class RemoteConnectionError extends RemoteEngineError {
  constructor(url: string, message: string, options?: MullamaErrorOptions) {
    super("REMOTE_UNREACHABLE", url, message, options);
  }
}

/** The engine sent something that is not its protocol (a chunk that is not JSON, a stream of the wrong shape). */
export class RemoteProtocolError extends RemoteEngineError {
  constructor(url: string, message: string, options?: MullamaErrorOptions) {
    super("REMOTE_PROTOCOL_ERROR", url, message, options);
  }
}

/** The message of anything thrown, for wrapping it in a message of our own. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wraps anything thrown by the engine so no raw native error reaches a caller. */
export function wrapEngineError<T extends MullamaError>(error: unknown, wrap: (cause: unknown) => T): MullamaError {
  return error instanceof MullamaError ? error : wrap(error);
}

/** `mullama engine build` could not build or check a local engine; the prebuilt one stays in use. */
export class EngineBuildError extends MullamaError {
  /** The step that failed: "source", "build" or "check". */
  readonly step: "source" | "build" | "check";

  constructor(step: "source" | "build" | "check", message: string, options?: MullamaErrorOptions) {
    super("ENGINE_BUILD_FAILED", message, options);
    this.step = step;
  }
}
