/**
 * Bad input on every protocol: a 4xx in that protocol's own error shape, one log line
 * per rejected request, and a server that keeps serving everyone else.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { postJson, startTestServer, type TestServer } from "./helpers.js";

let harness: TestServer;
const logLines: Record<string, unknown>[] = [];
const model = "kjv-tiny-q8_0";

before(async () => {
  harness = await startTestServer({
    parallel: 2,
    logger: { level: "info", stream: { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) } },
  });
});
after(() => harness.server.close());

type Shape = "openai" | "ollama" | "native";

interface Case {
  name: string;
  path: string;
  body?: string | object;
  method?: string;
  status: number;
  /** What the message (or, for OpenAI, the param) must say. */
  expect: RegExp;
}

const longPrompt = "And God said unto Moses, ".repeat(60);
const huge = "x".repeat(1024 * 1024 + 10);

const cases: Record<Shape, Case[]> = {
  openai: [
    { name: "malformed JSON", path: "/v1/chat/completions", body: '{"model":', status: 400, expect: /not valid JSON/ },
    { name: "empty body", path: "/v1/chat/completions", body: "", status: 400, expect: /empty/ },
    { name: "an array body", path: "/v1/completions", body: "[1,2]", status: 400, expect: /JSON object/ },
    { name: "poisoned prototype", path: "/v1/completions", body: '{"model":"kjv-tiny-q8_0","prompt":"x","__proto__":{"admin":true}}', status: 400, expect: /.+/ },
    { name: "poisoned prototype behind escapes", path: "/v1/completions", body: '{"model":"kjv-tiny-q8_0","prompt":"x","\\u005f_proto\\u005f_":{"admin":true}}', status: 400, expect: /must not contain "__proto__" keys/ },
    { name: "messages of the wrong type", path: "/v1/chat/completions", body: { model, messages: "hi" }, status: 400, expect: /messages/ },
    { name: "missing model", path: "/v1/chat/completions", body: { messages: [{ role: "user", content: "hi" }] }, status: 400, expect: /model/ },
    { name: "missing prompt", path: "/v1/completions", body: { model }, status: 400, expect: /prompt/ },
    { name: "an unknown role", path: "/v1/chat/completions", body: { model, messages: [{ role: "wizard", content: "hi" }] }, status: 400, expect: /role/ },
    { name: "negative max_tokens", path: "/v1/completions", body: { model, prompt: "x", max_tokens: -5 }, status: 400, expect: /max_tokens/ },
    { name: "fractional max_tokens", path: "/v1/completions", body: { model, prompt: "x", max_tokens: 1.5 }, status: 400, expect: /max_tokens/ },
    { name: "a temperature string", path: "/v1/completions", body: { model, prompt: "x", temperature: "hot" }, status: 400, expect: /temperature/ },
    { name: "a prompt longer than the context", path: "/v1/chat/completions", body: { model, messages: [{ role: "user", content: longPrompt }] }, status: 400, expect: /exceeds the context size/ },
    { name: "a body over 1 MB", path: "/v1/completions", body: { model, prompt: huge }, status: 413, expect: /larger than/ },
    { name: "an unknown route", path: "/v1/audio/speech", body: { model, input: "x" }, status: 404, expect: /no route/ },
    { name: "a wrong method", path: "/v1/chat/completions", method: "GET", status: 404, expect: /no route/ },
  ],
  ollama: [
    { name: "malformed JSON", path: "/api/generate", body: "{model", status: 400, expect: /not valid JSON/ },
    { name: "a prompt of the wrong type", path: "/api/generate", body: { model, prompt: 5 }, status: 400, expect: /prompt/ },
    { name: "missing model", path: "/api/chat", body: { messages: [] }, status: 400, expect: /model/ },
    { name: "a prompt longer than the context", path: "/api/generate", body: { model, prompt: longPrompt }, status: 400, expect: /exceeds the context size/ },
    { name: "an unknown option", path: "/api/generate", body: { model, prompt: "x", options: { warp_speed: 9 } }, status: 400, expect: /warp_speed/ },
    { name: "a body over 1 MB", path: "/api/generate", body: { model, prompt: huge }, status: 413, expect: /larger than/ },
    { name: "an unknown route", path: "/api/push", body: { model }, status: 404, expect: /no route/ },
    { name: "a pull on a server without a store", path: "/api/pull", body: { model: "hf.co/user/repo:Q8_0" }, status: 400, expect: /serves no model store, so nothing can be pulled/ },
  ],
  native: [
    { name: "malformed JSON", path: "/generate", body: "{{", status: 400, expect: /not valid JSON/ },
    { name: "missing prompt", path: "/generate", body: { options: {} }, status: 400, expect: /prompt/ },
    { name: "an unknown option", path: "/generate", body: { prompt: "x", options: { speed: 2 } }, status: 400, expect: /speed/ },
    { name: "a prompt longer than the context", path: "/generate", body: { prompt: longPrompt }, status: 400, expect: /exceeds the context size/ },
    { name: "a body over 1 MB", path: "/generate", body: { prompt: huge }, status: 413, expect: /larger than/ },
    { name: "an unknown route", path: "/nothing/here", method: "GET", status: 404, expect: /no route/ },
  ],
};

function assertShape(shape: Shape, body: unknown, expect: RegExp, name: string): void {
  if (shape === "openai") {
    const error = (body as { error: Record<string, unknown> }).error;
    assert.deepEqual(Object.keys(error).sort(), ["code", "message", "param", "type"], name);
    assert.equal(typeof error.code, "string", name);
    assert.equal(error.type, "invalid_request_error", name);
    assert.match(`${String(error.message)} ${String(error.param)}`, expect, name);
  } else if (shape === "ollama") {
    assert.deepEqual(Object.keys(body as object), ["error"], name);
    assert.match((body as { error: string }).error, expect, name);
  } else {
    const error = (body as { error: Record<string, unknown> }).error;
    assert.deepEqual(Object.keys(error).sort(), ["code", "message"], name);
    assert.match(String(error.message), expect, name);
  }
}

for (const [shape, shapeCases] of Object.entries(cases) as [Shape, Case[]][]) {
  test(`${shape} routes answer bad input with a 4xx in their own error shape, logged once`, async () => {
    for (const entry of shapeCases) {
      const warningsBefore = logLines.filter((line) => (line.level as number) >= 40).length;
      const response =
        entry.method === "GET"
          ? await fetch(`${harness.url}${entry.path}`)
          : await postJson(`${harness.url}${entry.path}`, entry.body ?? "", {});
      assert.equal(response.status, entry.status, `${shape}: ${entry.name}`);
      assert.match(response.headers.get("content-type") ?? "", /application\/json/, entry.name);
      assertShape(shape, await response.json(), entry.expect, `${shape}: ${entry.name}`);
      const warnings = logLines.filter((line) => (line.level as number) >= 40).slice(warningsBefore);
      assert.equal(warnings.length, 1, `${shape}: ${entry.name} logged ${warnings.length} times`);
      assert.equal(warnings[0]!.status, entry.status);
      assert.equal(warnings[0]!.level, 40, "client mistakes are warnings, not errors");
    }
  });
}

test("token ids outside the vocabulary never reach the engine, and the server keeps serving", async () => {
  for (const [path, body] of [
    ["/v1/completions", { model, prompt: [1, 2, 3, 1_000_000] }],
    ["/generate", { prompt: [0, 1024] }],
    ["/api/generate", { model, prompt: "x", context: [-3] }],
  ] as const) {
    const response = await postJson(`${harness.url}${path}`, body);
    assert.equal(response.status, 400, path);
  }
  const health = await fetch(`${harness.url}/health`);
  assert.equal(health.status, 200);
  const response = await postJson(`${harness.url}/v1/completions`, { model, prompt: "And God said", max_tokens: 4, temperature: 0 });
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens, 4);
  assert.equal(logLines.filter((line) => (line.level as number) >= 50).length, 0, "no request was a server fault");
});

test("a max_tokens or num_predict beyond the room left is not an error: it generates until the context is full", async () => {
  const openai = await postJson(`${harness.url}/v1/completions`, { model, prompt: "And God said", max_tokens: 1e9, temperature: 0 });
  assert.equal(openai.status, 200);
  const completion = (await openai.json()) as { choices: { finish_reason: string }[]; usage: { total_tokens: number } };
  assert.ok(completion.usage.total_tokens <= 256);
  if (completion.choices[0]!.finish_reason === "length") assert.equal(completion.usage.total_tokens, 256);
  const ollama = await postJson(`${harness.url}/api/generate`, { model, prompt: "And God said", stream: false, options: { num_predict: 1e9, temperature: 0 } });
  assert.equal(ollama.status, 200);
  const answer = (await ollama.json()) as { done_reason: string; prompt_eval_count: number; eval_count: number };
  assert.ok(answer.prompt_eval_count + answer.eval_count <= 256);
  if (answer.done_reason === "length") assert.equal(answer.prompt_eval_count + answer.eval_count, 256);
});
