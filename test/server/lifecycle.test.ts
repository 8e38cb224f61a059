/** The server's lifetime: 503 while loading, load failures, a shared Model, and the full context for every parallel request. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ModelLoadError } from "../../src/errors.js";
import { Model } from "../../src/model/Model.js";
import { defaultModelPath } from "../../src/model/defaultModel.js";
import { createServer } from "../../src/server/index.js";
import { postJson, startTestServer, waitFor } from "./helpers.js";

test("/health is 503 while the model loads, then 200", async () => {
  // Hold the load until the test has looked: the only way to see the loading window of a 2 MB model.
  const realLoad = Model.load;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  Model.load = async (path, params) => {
    await gate;
    return realLoad.call(Model, path, params);
  };
  try {
    const server = createServer({ port: 0, threads: 1, parallel: 1 });
    const listening = server.listen();
    await waitFor(() => server.address !== undefined, 5_000, "the port to be bound");
    const url = server.address!.url;
    assert.equal(server.phase, "loading");
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 503);
    assert.deepEqual(await health.json(), { status: "loading" });
    const models = await fetch(`${url}/v1/models`);
    assert.equal(models.status, 503);
    assert.equal(models.headers.get("retry-after"), "1");
    assert.equal(((await models.json()) as { error: { code: string } }).error.code, "model_loading");
    release();
    await listening;
    assert.equal((await fetch(`${url}/health`)).status, 200);
    await server.close();
  } finally {
    Model.load = realLoad;
  }
});

test("a model that fails to load rejects listen() and frees the port", async () => {
  const directory = mkdtempSync(join(tmpdir(), "mullama-"));
  const path = join(directory, "broken.gguf");
  writeFileSync(path, "this is not a GGUF file");
  try {
    const server = createServer({ model: path, port: 0, threads: 1 });
    await assert.rejects(server.listen(), ModelLoadError);
    assert.equal(server.phase, "failed");
    await assert.rejects(fetch(`${server.address!.url}/health`), "the port is released");
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("listen() works once; close() before listen() is harmless", async () => {
  const unused = createServer({ port: 0 });
  await unused.close();
  assert.equal(unused.phase, "closed");
  const { server } = await startTestServer({ parallel: 1 });
  await assert.rejects(server.listen(), /listen\(\) can be called once/);
  await server.close();
  await server.close();
});

test("a Model passed in is shared, and not disposed when the server closes", async () => {
  const model = await Model.load(defaultModelPath);
  try {
    const { server, url } = await startTestServer({ model, modelName: "bible", parallel: 1 });
    const response = await postJson(`${url}/v1/completions`, { model: "bible", prompt: "And God said", max_tokens: 3, temperature: 0 });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { model: string }).model, "bible");
    await server.close();
    assert.equal(model.disposed, false);
    assert.equal((await model.createContext({ threads: 1 })).contextSize, 256);
  } finally {
    await model.dispose();
  }
});

test("every parallel request gets the whole context it was promised", async () => {
  const { server, url } = await startTestServer({ parallel: 4, contextSize: 300 });
  try {
    // 4 x ~294 tokens: far more than a 300-token context split four ways would hold.
    const answers = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const response = await postJson(`${url}/v1/completions`, { model: "kjv-tiny-q8_0", prompt: "And God said", max_tokens: 290, temperature: 0 });
        return (await response.json()) as { usage: { prompt_tokens: number; completion_tokens: number }; choices: { finish_reason: string }[] };
      }),
    );
    for (const answer of answers) {
      assert.equal(answer.usage.completion_tokens, 290);
      assert.equal(answer.choices[0]!.finish_reason, "length");
      assert.ok(answer.usage.prompt_tokens + answer.usage.completion_tokens > 290);
    }
    // More than the room left is not an error: the generation fills the context and ends with "length".
    const full = await postJson(`${url}/v1/completions`, { model: "kjv-tiny-q8_0", prompt: "And God said", max_tokens: 297, temperature: 0 });
    assert.equal(full.status, 200);
    const filled = (await full.json()) as { usage: { prompt_tokens: number; completion_tokens: number }; choices: { finish_reason: string }[] };
    assert.equal(filled.choices[0]!.finish_reason, "length");
    assert.equal(filled.usage.prompt_tokens + filled.usage.completion_tokens, 300);
  } finally {
    await server.close();
  }
});
