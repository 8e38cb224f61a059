/**
 * `POST /api/pull` through the official `ollama` client against the loopback Hugging Face
 * hub: Ollama's progress lines, the model served by name as soon as it is stored, an
 * in-stream error, and a client that leaves cancelling the pull (which then resumes).
 */
import assert from "node:assert/strict";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Ollama } from "ollama";
import type { HuggingFaceHub } from "../helpers/huggingFaceServer.js";
import { demoBytes, demoSha256, freshStore, partialFiles, startDemoHub, storeSnapshot } from "../helpers/pullFixtures.js";
import { startTestServer, waitFor, type TestServer } from "./helpers.js";

let hub: HuggingFaceHub;
let store: string;
let harness: TestServer;
let ollama: Ollama;

before(async () => {
  hub = await startDemoHub();
  store = await freshStore(hub);
  harness = await startTestServer({ store });
  ollama = new Ollama({ host: harness.url });
});

after(async () => {
  await harness?.server.close();
  await hub?.close();
  await rm(store, { recursive: true, force: true });
});

test("pull streams Ollama's progress; the model is listed and generates at once", async () => {
  const name = "hf.co/test/multi-GGUF:Q8_0";
  const lines = [];
  for await (const line of await ollama.pull({ model: name, stream: true, insecure: false })) lines.push(line);
  const statuses = [...new Set(lines.map((line) => line.status))];
  const pulling = `pulling ${demoSha256.slice(0, 12)}`;
  assert.deepEqual(statuses, ["pulling manifest", pulling, "verifying sha256 digest", "testing the model in a child process", "writing manifest", "success"]);
  const progress = lines.filter((line) => line.status === pulling);
  for (const line of progress) {
    assert.equal(line.digest, `sha256:${demoSha256}`);
    assert.equal(line.total, demoBytes.length);
  }
  assert.equal(progress.at(-1)!.completed, demoBytes.length);

  assert.ok((await ollama.list()).models.some((model) => model.name === name));
  const answer = await ollama.generate({ model: name, prompt: "And God said", stream: false, options: { num_predict: 3, temperature: 0 } });
  assert.equal(answer.done, true);
  assert.equal(answer.eval_count, 3);
  assert.ok((answer.response ?? "").length > 0);
});

test("our own references work, and stream: false answers once", async () => {
  const answer = await ollama.pull({ model: "hf:test/kjv-tiny-GGUF/kjv-tiny-q8_0.gguf", stream: false });
  assert.deepEqual(answer, { status: "success" });
  assert.ok((await ollama.list()).models.some((model) => model.name.startsWith("hf.co/test/kjv-tiny-GGUF/kjv-tiny-q8_0")));
});

test("a failure after the stream started is its last line; a name that is no reference is a 400", async () => {
  const statuses: string[] = [];
  await assert.rejects(async () => {
    for await (const line of await ollama.pull({ model: "hf.co/test/missing-GGUF:Q8_0", stream: true })) statuses.push(line.status);
  }, /not found|404/i);
  assert.deepEqual(statuses, ["pulling manifest"]);
  await assert.rejects(ollama.pull({ model: "llama3.2", stream: true }), (error: Error & { status_code?: number }) => error.status_code === 400 && /not a reference this server can pull/.test(error.message));
});

test("a client that leaves cancels the pull; pulling again resumes from the bytes kept", async () => {
  const name = "hf:test/kjv-tiny-GGUF:Q8_0";
  const before = await storeSnapshot(store);
  hub.faults = { throttle: { chunkBytes: 64 * 1024, pauseMs: 40 } };
  const stream = await ollama.pull({ model: name, stream: true });
  for await (const line of stream) {
    if ((line.completed ?? 0) > 0) {
      stream.abort();
      break;
    }
  }
  // The server's pull holds the model's lock file until it has stopped.
  const lockHeld = async () => (await readdir(join(store, ".partial")).catch(() => [] as string[])).some((entry) => entry.endsWith(".lock"));
  await waitFor(async () => !(await lockHeld()), 5_000, "the pull to stop");
  assert.ok((await partialFiles(store)).length > 0, "the bytes so far are kept");
  assert.deepEqual(await storeSnapshot(store), before, "nothing half-pulled is in the store");
  hub.faults = {};
  hub.requests.length = 0;
  assert.deepEqual(await ollama.pull({ model: name, stream: false }), { status: "success" });
  const resumed = hub.requests.find((request) => request.host === "content" && request.range !== undefined);
  assert.ok(resumed !== undefined && /^bytes=[1-9]\d*-$/.test(resumed.range!), `resumed with a Range (${resumed?.range})`);
});
