/**
 * Many models on one server: a named model and a store's models, each loaded on first
 * use, picked by the request's `model` field on every protocol; keep_alive, the limit of
 * loaded models, loads shared by waiting requests, files damaged or deleted while the
 * server runs, and /api/ps, /api/tags, /api/delete. Real clients over loopback.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Ollama } from "ollama";
import OpenAI from "openai";
import WebSocket from "ws";
import { defaultModelPath } from "../../src/model/defaultModel.js";
import { directoryNameOf } from "../../src/store/ModelStore.js";
import { formatManifest, manifestFileName } from "../../src/store/storedModel.js";
import { makeScriptedModel } from "../fixtures/scriptedModel.js";
import { metricValue, postJson, readServerSentEvents, startTestServer, waitFor, type TestServer, openAiClient } from "./helpers.js";

/** Puts a GGUF file into a store directory as a pulled model of that name. */
async function storeModel(store: string, name: string, source: string): Promise<string> {
  const directory = join(store, directoryNameOf(name));
  await mkdir(directory, { recursive: true });
  const path = join(directory, "model.gguf");
  await copyFile(source, path);
  const file = { name: "model.gguf", sizeBytes: 1, sha256: "0".repeat(64), url: `https://example.invalid/${name}` };
  await writeFile(join(directory, manifestFileName), formatManifest({ name, reference: `https://example.invalid/${name}`, pulledAt: new Date(), files: [file], architecture: "llama", parameterCount: 1, quantization: "F32", contextLength: 256 }));
  return path;
}

let store: string;
let harness: TestServer;
let openai: OpenAI;
let ollama: Ollama;
const demo = "kjv-tiny-q8_0";
const paths: Record<string, string> = {};

before(async () => {
  store = await mkdtemp(join(tmpdir(), "mullama-store-"));
  paths.alpha = await storeModel(store, "alpha", await makeScriptedModel({ pieces: [" alpha", " one"], fileName: "alpha" }));
  paths.beta = await storeModel(store, "beta", await makeScriptedModel({ pieces: [" beta", " two"], fileName: "beta" }));
  paths.gamma = await storeModel(store, "gamma", await makeScriptedModel({ pieces: [" gamma"], fileName: "gamma" }));
  harness = await startTestServer({ models: [defaultModelPath], store, maxLoadedModels: 2, parallel: 2 });
  openai = openAiClient(harness);
  ollama = new Ollama({ host: harness.url });
});

after(async () => {
  await harness?.server.close();
  await rm(store, { recursive: true, force: true });
});

const loadedNames = async () => (await ollama.ps()).models.map((model) => model.name).sort();

describe("many models", () => {
  test("every model is listed, none is loaded before its first request", async () => {
    const ids = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    assert.deepEqual(ids, [demo, "alpha", "beta", "gamma"]);
    assert.deepEqual((await ollama.list()).models.map((model) => model.name), [`${demo}:latest`, "alpha:latest", "beta:latest", "gamma:latest"]);
    assert.deepEqual(await loadedNames(), []);
    const health = (await (await fetch(`${harness.url}/health`)).json()) as { status: string; models: { name: string; state: string }[] };
    assert.equal(health.status, "ok");
    assert.deepEqual(health.models.map((model) => model.state), ["available", "available", "available", "available"]);
  });

  test("the model field picks the model on OpenAI, Ollama, native SSE and WebSocket; native defaults to the first", async () => {
    const completion = await openai.completions.create({ model: "alpha", prompt: "x", max_tokens: 2, temperature: 0 });
    assert.equal(completion.choices[0]!.text, " alpha one");
    const generated = await ollama.generate({ model: "beta:latest", prompt: "x", stream: false, options: { num_predict: 2, temperature: 0 } });
    assert.equal(generated.response, " beta two");

    const sse = await postJson(`${harness.url}/generate`, { model: "alpha", prompt: "x", options: { maxTokens: 2, temperature: 0 } });
    let text = "";
    for await (const event of readServerSentEvents(sse.body!)) if (event.event === "token") text += JSON.parse(event.data!).text;
    assert.equal(text, " alpha one");

    const webSocket = new WebSocket(`${harness.url.replace("http", "ws")}/ws`);
    await new Promise((resolve) => webSocket.once("open", resolve));
    webSocket.send(JSON.stringify({ type: "generate", id: 1, model: "beta", prompt: "x", options: { maxTokens: 2, temperature: 0 } }));
    let socketText = "";
    await new Promise<void>((resolve) =>
      webSocket.on("message", (data) => {
        const message = JSON.parse(String(data)) as { type: string; text?: string };
        if (message.type === "token") socketText += message.text;
        if (message.type === "done" || message.type === "error") resolve();
      }),
    );
    webSocket.close();
    assert.equal(socketText, " beta two");

    const unnamed = await postJson(`${harness.url}/generate`, { prompt: "And God said", options: { maxTokens: 3, temperature: 0 } });
    const events = [];
    for await (const event of readServerSentEvents(unnamed.body!)) events.push(event);
    assert.equal(events.at(-1)!.event, "done");
    assert.ok((await loadedNames()).includes(`${demo}:latest`), "the request without a model used the first model");
  });

  test("at most --max-loaded-models stay loaded; the least recently used idle one goes", async () => {
    // The demo model was used last; alpha and beta before it, beta after alpha.
    assert.equal((await loadedNames()).length, 2);
    await openai.completions.create({ model: "gamma", prompt: "x", max_tokens: 1 });
    const loaded = await loadedNames();
    assert.equal(loaded.length, 2);
    assert.ok(loaded.includes("gamma:latest"));
    assert.ok(loaded.includes(`${demo}:latest`), "the most recently used model stayed");
    assert.equal(await metricValue(harness.url, 'mullama_model_loaded{model="gamma"}'), 1);
    const running = (await ollama.ps()).models.find((model) => model.name === "gamma:latest")!;
    const expiresIn = new Date(running.expires_at).getTime() - Date.now();
    assert.ok(expiresIn > 4 * 60_000 && expiresIn <= 5 * 60_000 + 1000, `expires in 5 minutes (${expiresIn} ms)`);
    assert.equal(running.size_vram, 0);
  });

  test("keep_alive 0 unloads the model once the request is done; an empty prompt with it unloads at once", async () => {
    await ollama.generate({ model: "gamma", prompt: "x", stream: false, keep_alive: 0, options: { num_predict: 1 } });
    await waitFor(async () => !(await loadedNames()).includes("gamma:latest"), 5_000, "gamma to unload");
    const loaded = await ollama.generate({ model: "alpha", prompt: "", stream: false });
    assert.equal(loaded.done_reason, "load");
    assert.ok((await loadedNames()).includes("alpha:latest"));
    const unloaded = await ollama.generate({ model: "alpha", prompt: "", stream: false, keep_alive: 0 });
    assert.equal(unloaded.done_reason, "unload");
    await waitFor(async () => !(await loadedNames()).includes("alpha:latest"), 5_000, "alpha to unload");
  });

  test("requests for a model that is loading wait for that one load", async () => {
    const before = await metricValue(harness.url, 'mullama_model_loads_total{model="beta",result="loaded"}');
    await harness.server.models!.unload("beta", "evicted");
    const answers = await Promise.all([1, 2, 3].map(() => openai.completions.create({ model: "beta", prompt: "x", max_tokens: 2, temperature: 0 })));
    assert.deepEqual(answers.map((answer) => answer.choices[0]!.text), [" beta two", " beta two", " beta two"]);
    assert.equal(await metricValue(harness.url, 'mullama_model_loads_total{model="beta",result="loaded"}'), before + 1);
  });

  test("a model damaged or deleted in the store answers a clear error to every waiting request; the others keep working", async () => {
    await writeFile(paths.gamma!, "this is not a GGUF file any more");
    const failures = await Promise.all([1, 2].map(() => postJson(`${harness.url}/v1/completions`, { model: "gamma", prompt: "x", max_tokens: 1 })));
    for (const response of failures) {
      assert.equal(response.status, 500);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "model_failed");
      assert.match(body.error.message, /"gamma" cannot be loaded: not a GGUF file/);
    }
    await rm(paths.alpha!);
    await assert.rejects(ollama.generate({ model: "alpha", prompt: "x", stream: false }), (error: Error & { status_code?: number }) => error.status_code === 500 && /"alpha" cannot be loaded/.test(error.message));
    const still = await ollama.generate({ model: "beta", prompt: "x", stream: false, options: { num_predict: 2, temperature: 0 } });
    assert.equal(still.response, " beta two");
    assert.equal((await fetch(`${harness.url}/health`)).status, 200);
  });

  test("an unknown model is a 404 that lists what is served", async () => {
    const response = await postJson(`${harness.url}/v1/chat/completions`, { model: "nothing", messages: [{ role: "user", content: "hi" }] });
    assert.equal(response.status, 404);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /"nothing" does not exist on this server; it serves "kjv-tiny-q8_0", "alpha", "beta", "gamma"/);
  });

  test("/api/delete removes a store model (unloading it first); a model given by path cannot be deleted", async () => {
    assert.ok((await loadedNames()).includes("beta:latest"));
    await ollama.delete({ model: "beta" });
    assert.ok(!(await loadedNames()).includes("beta:latest"));
    assert.ok(!(await ollama.list()).models.some((model) => model.name === "beta:latest"));
    await assert.rejects(ollama.delete({ model: "beta" }), (error: Error & { status_code?: number }) => error.status_code === 404);
    await assert.rejects(ollama.delete({ model: demo }), (error: Error & { status_code?: number }) => error.status_code === 400);
  });
});

test("a model that would not fit in memory is refused before it loads; the server keeps serving", async () => {
  const server = await startTestServer({ models: [defaultModelPath, await makeScriptedModel({ pieces: [" beta", " two"], fileName: "beta" })], modelName: "demo", contextSize: 2 ** 30, parallel: 1 });
  try {
    const response = await postJson(`${server.url}/api/generate`, { model: "demo", prompt: "x", stream: false });
    assert.equal(response.status, 507);
    assert.match(((await response.json()) as { error: string }).error, /Cannot load "demo": it needs about [\d.]+ [TGM]iB .*more than this machine's/);
    assert.deepEqual(((await (await fetch(`${server.url}/api/ps`)).json()) as { models: unknown[] }).models, []);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  } finally {
    await server.server.close();
  }
});
