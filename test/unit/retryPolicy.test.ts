/** When a remote request is retried: only curable failures, within the count, honouring a Retry-After that fits. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RemoteAuthenticationError, RemoteBusyError, RemoteConnectionError, RemoteProtocolError, RemoteServerError } from "../../src/errors.ts";
import { RetryPolicy } from "../../src/remote/retryPolicy.ts";
import { retryAfterMs } from "../../src/remote/remoteErrors.ts";

const url = "http://engine/v1/completions";

test("busy, 5xx and connection failures are retried with growing waits, up to the count", () => {
  const policy = new RetryPolicy({ retries: 3, initialDelayMs: 100, maxDelayMs: 300 });
  for (const error of [new RemoteServerError(url, "boom", 500), new RemoteConnectionError(url, "reset"), new RemoteBusyError(url, 429, "busy", undefined)]) {
    const waits = [1, 2, 3].map((retry) => policy.delayBeforeRetry(retry, error)!);
    assert.ok(waits[0]! >= 50 && waits[0]! <= 100, `first wait ${waits[0]}`);
    assert.ok(waits[1]! >= 100 && waits[1]! <= 200, `second wait ${waits[1]}`);
    assert.ok(waits[2]! <= 300, "capped");
    assert.equal(policy.delayBeforeRetry(4, error), undefined);
  }
});

test("refusals a retry cannot cure are not retried; Retry-After is honoured only when it fits", () => {
  const policy = new RetryPolicy({ retries: 2, maxDelayMs: 5_000 });
  assert.equal(policy.delayBeforeRetry(1, new RemoteAuthenticationError(url, 401, "no")), undefined);
  assert.equal(policy.delayBeforeRetry(1, new RemoteProtocolError(url, "bad chunk")), undefined);
  assert.equal(policy.delayBeforeRetry(1, new Error("a bug")), undefined);
  assert.equal(policy.delayBeforeRetry(1, new RemoteBusyError(url, 503, "busy", 2_000)), 2_000);
  assert.equal(policy.delayBeforeRetry(1, new RemoteBusyError(url, 503, "busy", 60_000)), undefined);
  assert.equal(new RetryPolicy({ retries: 0 }).delayBeforeRetry(1, new RemoteServerError(url, "boom", 502)), undefined);
});

test("Retry-After as seconds or as an HTTP date", () => {
  assert.equal(retryAfterMs("3"), 3_000);
  assert.equal(retryAfterMs(null), undefined);
  assert.equal(retryAfterMs("soon"), undefined);
  const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
  const fromDate = retryAfterMs(inTenSeconds)!;
  assert.ok(fromDate > 8_000 && fromDate <= 10_000, `${fromDate}`);
});
