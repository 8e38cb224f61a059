/** API keys on every route but /health (HTTP and WebSocket), and CORS opened to one origin only. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ollama } from "ollama";
import OpenAI from "openai";
import WebSocket from "ws";
import { startTestServer, type TestServer } from "./helpers.js";

let harness: TestServer;
const apiKey = "correct horse battery staple";
const allowedOrigin = "http://app.example";
const model = "kjv-tiny-q8_0";

before(async () => {
  harness = await startTestServer({ parallel: 1, apiKey, corsOrigin: allowedOrigin });
});
after(() => harness.server.close());

test("/health needs no key; every other route does", async () => {
  assert.equal((await fetch(`${harness.url}/health`)).status, 200);
  for (const [path, shape] of [
    ["/v1/models", "openai"],
    ["/api/tags", "ollama"],
    ["/metrics", "native"],
    ["/no/such/route", "native"],
  ] as const) {
    const response = await fetch(`${harness.url}${path}`);
    assert.equal(response.status, 401, path);
    assert.match(response.headers.get("www-authenticate")!, /^Bearer/);
    const body = (await response.json()) as { error: unknown };
    if (shape === "openai") assert.equal((body.error as { type: string }).type, "authentication_error");
    else if (shape === "ollama") assert.match(body.error as string, /API key/);
    else assert.equal((body.error as { code: string }).code, "MISSING_API_KEY");
  }
});

test("a wrong key is refused; the right one works as a Bearer token or as X-Api-Key", async () => {
  const wrong: Record<string, string>[] = [{ authorization: "Bearer wrong" }, { authorization: `Bearer ${apiKey}x` }, { "x-api-key": apiKey.slice(0, -1) }, { authorization: apiKey }];
  for (const headers of wrong) {
    const response = await fetch(`${harness.url}/v1/models`, { headers });
    assert.equal(response.status, 401, JSON.stringify(headers));
  }
  assert.equal((await fetch(`${harness.url}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } })).status, 200);
  assert.equal((await fetch(`${harness.url}/metrics`, { headers: { "x-api-key": apiKey } })).status, 200);
});

test("the official clients authenticate with the key", async () => {
  const openai = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey, maxRetries: 0 });
  const completion = await openai.completions.create({ model, prompt: "And God said", max_tokens: 3 });
  assert.equal(completion.usage!.completion_tokens, 3);
  await assert.rejects(new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: "nope", maxRetries: 0 }).models.list(), OpenAI.AuthenticationError);
  const ollama = new Ollama({ host: harness.url, headers: { authorization: `Bearer ${apiKey}` } });
  assert.equal((await ollama.list()).models.length, 1);
});

test("WebSocket upgrades need the key too", async () => {
  const url = `${harness.url.replace("http", "ws")}/ws`;
  const refused = new WebSocket(url);
  const status = await new Promise<number>((resolve) => refused.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0)));
  assert.equal(status, 401);
  const socket = new WebSocket(url, { headers: { "x-api-key": apiKey, origin: allowedOrigin } });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  socket.send(JSON.stringify({ type: "generate", id: "1", prompt: "And God said", options: { maxTokens: 2 } }));
  const done = await new Promise<Record<string, unknown>>((resolve) =>
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message.type === "done") resolve(message);
    }),
  );
  assert.equal(done.stopReason, "maxTokens");
  socket.close();
});

test("CORS: the allowed origin gets headers and a preflight answer without a key; others get nothing", async () => {
  const preflight = await fetch(`${harness.url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: { origin: allowedOrigin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), allowedOrigin);
  assert.match(preflight.headers.get("access-control-allow-headers")!, /Authorization/);
  assert.match(preflight.headers.get("access-control-allow-methods")!, /POST/);

  // The official openai package in a browser sends its own x-stainless-* headers: an allowed origin may send any header.
  const stainless = await fetch(`${harness.url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: { origin: allowedOrigin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type,x-stainless-arch,x-stainless-os" },
  });
  assert.equal(stainless.status, 204);
  assert.match(stainless.headers.get("access-control-allow-headers")!, /x-stainless-arch,x-stainless-os/);
  const malformed = await fetch(`${harness.url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: { origin: allowedOrigin, "access-control-request-method": "POST", "access-control-request-headers": "x-ok, bad header" },
  });
  assert.equal(malformed.headers.get("access-control-allow-headers"), "Authorization, Content-Type, X-Api-Key");

  const allowed = await fetch(`${harness.url}/v1/models`, { headers: { origin: allowedOrigin, authorization: `Bearer ${apiKey}` } });
  assert.equal(allowed.headers.get("access-control-allow-origin"), allowedOrigin);
  assert.equal(allowed.headers.get("vary"), "Origin");

  const foreign = await fetch(`${harness.url}/v1/models`, { headers: { origin: "http://evil.example", authorization: `Bearer ${apiKey}` } });
  assert.equal(foreign.status, 200);
  assert.equal(foreign.headers.get("access-control-allow-origin"), null);
  const foreignPreflight = await fetch(`${harness.url}/v1/models`, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "GET" } });
  assert.equal(foreignPreflight.headers.get("access-control-allow-origin"), null);
});

test("CORS headers also reach streamed answers", async () => {
  const response = await fetch(`${harness.url}/generate`, {
    method: "POST",
    headers: { origin: allowedOrigin, authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt: "And God said", options: { maxTokens: 2 } }),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("access-control-allow-origin"), allowedOrigin);
  assert.match(await response.text(), /event: done/);
});
