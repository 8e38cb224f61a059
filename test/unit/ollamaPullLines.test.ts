/** The pull's progress events in Ollama's words, from fake events. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ollamaProgressLines } from "../../src/server/routes/ollamaPull.ts";

const name = "hf.co/user/repo:Q8_0";
const sha256 = "ab".repeat(32);

test("each event becomes Ollama's lines; a file without a known hash is named by its file name", () => {
  assert.deepEqual(ollamaProgressLines({ status: "resolving", reference: name }), [{ status: "pulling manifest" }]);
  assert.deepEqual(ollamaProgressLines({ status: "resolved", name, files: ["model.gguf"], note: undefined }), []);
  const downloading = { status: "downloading", name, file: "model.gguf", completedBytes: 10, bytesPerSecond: 1, secondsLeft: undefined } as const;
  assert.deepEqual(ollamaProgressLines({ ...downloading, sha256, totalBytes: 100 }), [{ status: "pulling abababababab", digest: `sha256:${sha256}`, total: 100, completed: 10 }]);
  assert.deepEqual(ollamaProgressLines({ ...downloading, totalBytes: undefined }), [{ status: "pulling model.gguf", digest: "model.gguf", completed: 10 }]);
  assert.deepEqual(ollamaProgressLines({ status: "resuming", name, file: "model.gguf", fromBytes: 5 }), []);
  assert.deepEqual(ollamaProgressLines({ status: "verifying", name }), [{ status: "verifying sha256 digest" }]);
  assert.deepEqual(ollamaProgressLines({ status: "up-to-date", name }), []);
  assert.deepEqual(ollamaProgressLines({ status: "success", name, model: {} as never }), [{ status: "writing manifest" }, { status: "success" }]);
});
