/**
 * The probe for untrusted files: a test load in a child process, its verdict cached by
 * fingerprint, and a refusal (not a dead process) for a file that aborts the engine. The
 * crashing file here passes validation, as the files the probe exists for would: an
 * "xverse" model whose rotary embedding covers half of each head, which xverse's graph
 * asserts against (validation only knows that rule for the llama-like layouts).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { probeModelFile } from "../../src/engine/probe/probeModelFile.ts";
import { createServer } from "../../src/server/index.ts";
import { Model, ModelLoadError, defaultModelPath } from "../../src/index.ts";
import { renameArchitecture, setMetadataEntry, writeEditedDemo } from "../helpers/editedModel.ts";

let directory: string;
let cacheDirectory: string;
let crashingPath: string;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), "mullama-probe-"));
  cacheDirectory = join(directory, "cache");
  // Model.load, the CLI and the server find the cache here.
  process.env.MULLAMA_CACHE_DIR = cacheDirectory;
  crashingPath = await writeEditedDemo(directory, "xverse-half-rope", (document) => {
    renameArchitecture(document, "xverse");
    setMetadataEntry(document, { key: "xverse.rope.dimension_count", type: "uint32", value: 16 });
  });
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

const crashReason = /^the engine crashed on it in a test load \(SIGABRT: llama\.cpp\/src\/models\/xverse\.cpp:\d+: GGML_ASSERT\(n_embd_head == n_rot\) failed\)$/;

describe("probeModelFile", () => {
  test("a file the engine runs is safe, and the second look comes from the cache", async () => {
    const first = await probeModelFile(defaultModelPath, { cacheDirectory });
    assert.deepEqual([first.safe, first.cached], [true, false]);
    const second = await probeModelFile(defaultModelPath, { cacheDirectory });
    assert.deepEqual([second.safe, second.cached, second.fingerprint], [true, true, first.fingerprint]);
    assert.ok(second.elapsedMs < first.elapsedMs, `cached ${second.elapsedMs} ms, probed ${first.elapsedMs} ms`);
    const cache = JSON.parse(await readFile(join(cacheDirectory, "probe-cache.json"), "utf8")) as { entries: Record<string, { safe: boolean; engine: string; gpu: string }> };
    assert.deepEqual(Object.keys(cache.entries), [first.fingerprint]);
    assert.match(cache.entries[first.fingerprint]!.engine, /^node-llama-cpp 3\./);
  });

  test("a file that aborts the engine is refused with the signal and the assertion, and this process lives on", async () => {
    const verdict = await probeModelFile(crashingPath, { cacheDirectory });
    assert.equal(verdict.safe, false);
    assert.match((verdict as { reason: string }).reason, crashReason);
    const cached = await probeModelFile(crashingPath, { cacheDirectory });
    assert.deepEqual([cached.safe, cached.cached], [false, true]);
    assert.equal((cached as { reason: string }).reason, (verdict as { reason: string }).reason);
  });

  test("a file that fails validation is refused before any test load", async () => {
    const path = await writeEditedDemo(directory, "epsilon-nan", (document) =>
      setMetadataEntry(document, { key: "llama.attention.layer_norm_rms_epsilon", type: "float32", value: Number.NaN }),
    );
    await assert.rejects(probeModelFile(path, { cacheDirectory }), (error: unknown) => error instanceof ModelLoadError && /layer_norm_rms_epsilon is NaN/.test(error.reason));
  });

  test("a file changed since its probe is probed again; cache: false neither reads nor writes", async () => {
    const path = join(directory, "copy.gguf");
    await copyFile(defaultModelPath, path);
    const first = await probeModelFile(path, { cacheDirectory });
    const renamed = await writeEditedDemo(directory, "renamed", (document) => setMetadataEntry(document, { key: "general.name", type: "string", value: "renamed" }));
    await copyFile(renamed, path);
    const changed = await probeModelFile(path, { cacheDirectory, cache: false });
    assert.notEqual(changed.fingerprint, first.fingerprint);
    assert.deepEqual([changed.safe, changed.cached], [true, false]);
    const again = await probeModelFile(path, { cacheDirectory });
    assert.equal(again.cached, false, "the uncached probe stored nothing");
  });
});

describe("the probe option", () => {
  test("Model.load({ probe: true }) refuses the crashing file with a ModelLoadError", async () => {
    await assert.rejects(Model.load(crashingPath, { probe: true }), (error: unknown) => {
      assert.ok(error instanceof ModelLoadError);
      assert.equal(error.path, crashingPath);
      assert.match(error.reason, crashReason);
      return true;
    });
    await using model = await Model.load(defaultModelPath, { probe: true });
    assert.equal(model.metadata.architecture, "llama");
  });

  test("mullama run --probe exits 1 with the reason instead of dying", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "run", "hello", "--probe", "-m", crashingPath, "--threads", "1"], {
      encoding: "utf8",
      env: { ...process.env, MULLAMA_CACHE_DIR: cacheDirectory },
      timeout: 120_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /^mullama: Cannot load model ".*": the engine crashed on it in a test load \(SIGABRT: .*n_embd_head == n_rot/m);
  });

  test("the server's probe option refuses it at listen()", async () => {
    const server = createServer({ model: crashingPath, probe: true, port: 0 });
    await assert.rejects(server.listen(), (error: unknown) => error instanceof ModelLoadError && crashReason.test(error.reason));
    await server.close();
  });
});
