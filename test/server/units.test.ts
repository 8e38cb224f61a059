/** The server's pieces that need no model: metrics text, error mapping, API key check, paths, options. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ContextOverflowError, GenerationError, InvalidArgumentError, TokenizationError } from "../../src/errors.js";
import { ApiKeyCheck } from "../../src/server/auth.js";
import { protocolOf, RequestError, serverBusy, toHttpError } from "../../src/server/httpErrors.js";
import { Counter, Histogram, MetricsRegistry } from "../../src/server/metrics.js";
import { formatPath } from "../../src/server/requestBody.js";
import { generationOptions } from "../../src/server/routes/ollamaSchemas.js";
import { formatParameterCount } from "../../src/server/routes/ollamaModels.js";
import { resolveServerOptions } from "../../src/server/serverOptions.js";

test("metrics: counters with escaped labels, cumulative histogram buckets", () => {
  const registry = new MetricsRegistry();
  const counter = registry.register(new Counter("requests_total", "Requests."));
  counter.increment({ route: '/a"b\\c\nd', status: "200" });
  counter.increment({ status: "200", route: '/a"b\\c\nd' }, 2);
  const histogram = registry.register(new Histogram("latency_seconds", "Latency.", [0.1, 1, 0.5]));
  histogram.observe(0.05);
  histogram.observe(0.7, 2);
  histogram.observe(5);
  assert.equal(
    registry.render(),
    [
      "# HELP requests_total Requests.",
      "# TYPE requests_total counter",
      'requests_total{route="/a\\"b\\\\c\\nd",status="200"} 3',
      "# HELP latency_seconds Latency.",
      "# TYPE latency_seconds histogram",
      'latency_seconds_bucket{le="0.1"} 1',
      'latency_seconds_bucket{le="0.5"} 1',
      'latency_seconds_bucket{le="1"} 3',
      'latency_seconds_bucket{le="+Inf"} 4',
      "latency_seconds_sum 6.45",
      "latency_seconds_count 4",
      "",
    ].join("\n"),
  );
  assert.equal(counter.value({ status: "200", route: '/a"b\\c\nd' }), 3);
});

test("errors map to a status and the caller's protocol shape", () => {
  assert.equal(protocolOf("/v1/chat/completions"), "openai");
  assert.equal(protocolOf("/api/chat"), "ollama");
  assert.equal(protocolOf("/generate"), "native");
  assert.equal(protocolOf("/apiary"), "native");

  const overflow = new ContextOverflowError(300, 10, 256);
  assert.deepEqual(toHttpError(overflow, "openai").body, {
    error: { message: overflow.message, type: "invalid_request_error", param: null, code: "context_length_exceeded" },
  });
  assert.deepEqual(toHttpError(overflow, "ollama").body, { error: overflow.message });
  assert.deepEqual(toHttpError(overflow, "native").body, { error: { code: "CONTEXT_OVERFLOW", message: overflow.message } });
  assert.equal(toHttpError(new TokenizationError("bad id"), "native").status, 400);
  assert.equal((toHttpError(new InvalidArgumentError("options.topP", "too big"), "openai").body as { error: { param: string } }).error.param, "options.topP");

  const busy = toHttpError(serverBusy(7), "openai");
  assert.equal(busy.status, 503);
  assert.equal(busy.headers["retry-after"], "7");
  assert.equal(busy.logLevel, "warn");

  // Genuine faults: a 500 that does not leak the internal message.
  for (const fault of [new GenerationError("native decode exploded"), new TypeError("x is undefined")]) {
    const response = toHttpError(fault, "openai");
    assert.equal(response.status, 500);
    assert.equal(response.logLevel, "error");
    assert.doesNotMatch(JSON.stringify(response.body), /exploded|undefined/);
  }
  const teapot = Object.assign(new Error("Body too big"), { statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE" });
  assert.equal(toHttpError(teapot, "ollama").status, 413);
  assert.equal(toHttpError(new RequestError(404, "NOT_FOUND", "nope"), "native").status, 404);
});

test("the API key check accepts the key in either header and nothing else", () => {
  const check = new ApiKeyCheck("s3cret");
  assert.doesNotThrow(() => check.verify("/v1/models", { authorization: "Bearer s3cret" }));
  assert.doesNotThrow(() => check.verify("/v1/models", { authorization: "bearer   s3cret " }));
  assert.doesNotThrow(() => check.verify("/v1/models", { "x-api-key": "s3cret" }));
  assert.doesNotThrow(() => check.verify("/health", {}));
  for (const headers of [{}, { authorization: "Basic s3cret" }, { authorization: "Bearer s3cre" }, { "x-api-key": "s3cret2" }, { "x-api-key": "" }]) {
    assert.throws(() => check.verify("/v1/models", headers), (error: unknown) => error instanceof RequestError && error.status === 401, JSON.stringify(headers));
  }
});

test("request field paths read like code", () => {
  assert.equal(formatPath(["messages", 0, "content", 2]), "messages[0].content[2]");
  assert.equal(formatPath(["options", "num_predict"]), "options.num_predict");
  assert.equal(formatPath([]), "");
});

test("Ollama options map onto generation options", () => {
  assert.deepEqual(generationOptions({ num_predict: 5, temperature: 0, top_k: 3, top_p: 0.5, min_p: 0.1, repeat_penalty: 1.1, seed: 2 ** 32 + 5, stop: ["a"], num_ctx: 8192 }, ["a", "b"]), {
    maxTokens: 5,
    temperature: 0,
    topK: 3,
    topP: 0.5,
    minP: 0.1,
    repeatPenalty: 1.1,
    seed: 5,
    stop: ["a", "b"],
  });
  assert.deepEqual(generationOptions({ num_predict: -1, seed: -1 }), {});
  assert.throws(() => generationOptions({ num_predict: 0 }), RequestError);
  assert.equal(formatParameterCount(1_970_000), "2.0M");
  assert.equal(formatParameterCount(7_241_732_096), "7.2B");
});

test("server options have documented defaults and are validated", () => {
  const defaults = resolveServerOptions({});
  assert.equal(defaults.host, "127.0.0.1");
  assert.equal(defaults.port, 8080);
  assert.equal(defaults.parallel, 4);
  assert.equal(defaults.maxQueue, 16);
  assert.equal(defaults.bodyLimit, 1024 * 1024);
  assert.deepEqual(defaults.corsOrigins, []);
  assert.equal(defaults.logger, undefined);
  assert.equal(defaults.ui, true);
  assert.equal(resolveServerOptions({ ui: false }).ui, false);
  assert.throws(() => resolveServerOptions({ ui: "no" } as never), /options\.ui/);
  assert.equal(resolveServerOptions({ parallel: 2 }).maxQueue, 8);
  assert.throws(() => resolveServerOptions({ parallel: 0 }), /options\.parallel/);
  assert.throws(() => resolveServerOptions({ port: 70_000 }), /options\.port/);
  assert.throws(() => resolveServerOptions({ apiKey: "  " }), /options\.apiKey/);
  assert.throws(() => resolveServerOptions({ parralel: 2 } as never), /parralel/);
});
