/** HTTP statuses as pull failures, and which failures are worth another try. */
import type { PullFailure } from "../errors.js";

export function failureOfStatus(status: number): PullFailure {
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 404 || status === 410) return "not-found";
  return "server";
}

/** A timeout, rate limit or server fault may pass; a 4xx answer will not change. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
