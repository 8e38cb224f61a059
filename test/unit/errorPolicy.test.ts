/** The one error policy: one class per condition, and what each error may tell a client. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeError, faultMessage, toErrorInfo } from "../../src/errorPolicy.ts";
import { ContextError, ContextOverflowError, DisposedError, GenerationError, InvalidArgumentError, MullamaError, RequestError, SequenceUnavailableError, ModelNotFoundError, PullError, AbortedError } from "../../src/errors.ts";
import { SequencePool } from "../../src/context/sequencePool.ts";

test("DISPOSED is always a DisposedError, which a catch for ContextError still catches", async () => {
  const disposed = new DisposedError("Context");
  assert.equal(disposed.code, "DISPOSED");
  assert.equal(disposed.what, "Context");
  assert.equal(disposed.message, "Context has been disposed");
  assert.equal(disposed.name, "DisposedError");
  assert.ok(disposed instanceof ContextError && disposed instanceof MullamaError);
  assert.equal(new ContextError("no memory").code, "CONTEXT_FAILED");

  const pool = new SequencePool([]);
  pool.close();
  await assert.rejects(pool.acquire([1], { wait: true }), (error: unknown) => error instanceof DisposedError && error.code === "DISPOSED");
});

test("a caller's mistake and a busy server are described in full", () => {
  const overflow = describeError(new ContextOverflowError(300, 10, 256));
  assert.deepEqual(overflow, { status: 400, code: "CONTEXT_OVERFLOW", message: new ContextOverflowError(300, 10, 256).message, param: null, headers: {}, fault: false });
  assert.equal(describeError(new InvalidArgumentError("options.topP", "too big")).param, "options.topP");
  assert.equal(describeError(new SequenceUnavailableError()).status, 503);
  assert.equal(describeError(new DisposedError("Context")).status, 503);
  const busy = describeError(new RequestError(503, "SERVER_BUSY", "full", { headers: { "retry-after": "3" } }));
  assert.deepEqual([busy.status, busy.headers["retry-after"], busy.fault], [503, "3", false]);
});

test("a fault says only that it is one: its details stay out of every description", () => {
  const engineFault = new GenerationError("Generation failed: ggml_decode returned -3 at 0xdeadbeef");
  for (const fault of [engineFault, new TypeError("x is undefined"), "a string thrown", new MullamaError("CONTEXT_FAILED", "secret path /home/me")]) {
    const described = describeError(fault);
    assert.equal(described.status, 500);
    assert.equal(described.fault, true);
    assert.equal(described.message, faultMessage);
    assert.doesNotMatch(JSON.stringify(toErrorInfo(fault)), /deadbeef|undefined|string thrown|secret/);
  }
  assert.deepEqual(toErrorInfo(engineFault), { code: "GENERATION_FAILED", message: faultMessage });
  assert.deepEqual(toErrorInfo(new TypeError("boom")), { code: "INTERNAL_ERROR", message: faultMessage });
});

test("pull and store errors keep their words and get their own statuses", () => {
  const notFound = describeError(new ModelNotFoundError("x", '"x" is not in the model store'));
  assert.deepEqual([notFound.status, notFound.code, notFound.fault], [404, "MODEL_NOT_FOUND", false]);
  const pull = describeError(new PullError("hf:a/b", "not-found", "the repository was not found (HTTP 404)"));
  assert.deepEqual([pull.status, pull.code, pull.message], [502, "PULL_FAILED", 'Cannot pull "hf:a/b": the repository was not found (HTTP 404)']);
  assert.equal(describeError(new AbortedError("The pull")).status, 503);
});
