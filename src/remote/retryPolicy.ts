/**
 * When a remote request is tried again. Only failures that a second try can cure are
 * retried (a busy engine, a 5xx, a connection refused or reset), and only while nothing
 * has reached the consumer: a retry after the first token would repeat or fork the text.
 * Waits grow exponentially with jitter, and a `Retry-After` the engine sends is honoured
 * when it fits within `maxDelayMs` (a longer one is not waited out: the error is thrown).
 */
import { RemoteBusyError, RemoteConnectionError, RemoteServerError } from "../errors.js";

/** How {@link Context.connect} retries a request that fails before its first token. */
export interface RetryOptions {
  /** Tries after the first. Defaults to 2; 0 turns retrying off. */
  retries?: number;
  /** Wait before the first retry, in milliseconds; it doubles with each further retry. Defaults to 250. */
  initialDelayMs?: number;
  /** Longest wait before a retry, in milliseconds, `Retry-After` included. Defaults to 4000. */
  maxDelayMs?: number;
}

export const retryDefaults = { retries: 2, initialDelayMs: 250, maxDelayMs: 4_000 } as const;

export class RetryPolicy {
  readonly #retries: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;

  constructor(options: RetryOptions = {}) {
    this.#retries = options.retries ?? retryDefaults.retries;
    this.#initialDelayMs = options.initialDelayMs ?? retryDefaults.initialDelayMs;
    this.#maxDelayMs = options.maxDelayMs ?? retryDefaults.maxDelayMs;
  }

  /** Milliseconds to wait before retry number `retry` (1-based) after `error`; undefined when it must not be retried. */
  delayBeforeRetry(retry: number, error: unknown): number | undefined {
    if (retry > this.#retries) return undefined;
    const retryable = error instanceof RemoteBusyError || error instanceof RemoteServerError || error instanceof RemoteConnectionError;
    if (!retryable) return undefined;
    if (error instanceof RemoteBusyError && error.retryAfterMs !== undefined) {
      return error.retryAfterMs <= this.#maxDelayMs ? error.retryAfterMs : undefined;
    }
    const exponential = this.#initialDelayMs * 2 ** (retry - 1);
    // Jitter spreads the retries of many clients that failed at the same moment.
    return Math.min(this.#maxDelayMs, exponential * (0.5 + Math.random() / 2));
  }
}

/** Waits `milliseconds`, or less when `signal` fires. */
export function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    signal.addEventListener("abort", done, { once: true });
  });
}
