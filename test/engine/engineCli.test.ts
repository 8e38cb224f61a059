/**
 * `mullama engine` and the engine choice through the real CLI: status, reset, a bad
 * action, MULLAMA_ENGINE, and a recorded local build that is missing (auto falls back to
 * the prebuilt binary; MULLAMA_ENGINE=local says how to get one). The build itself takes
 * about 15 minutes on 2 cores and is not run here (docs/PERFORMANCE.md has its figures).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { nodeLlamaCppVersion } from "../../src/engine/engineVersion.ts";
import { writeLocalEngineRecord } from "../../src/engine/localEngine/engineRecord.ts";
import { runMullama } from "../helpers/cliProcess.ts";

let cacheDirectory: string;
before(async () => {
  cacheDirectory = await mkdtemp(join(tmpdir(), "mullama-engine-cli-"));
});
after(async () => {
  await rm(cacheDirectory, { recursive: true, force: true });
});

const env = () => ({ MULLAMA_CACHE_DIR: cacheDirectory });
const localBuilds = fileURLToPath(new URL("../../node_modules/node-llama-cpp/llama/localBuilds/", import.meta.url));
const hasLocalBuild = existsSync(localBuilds) && (await readdir(localBuilds)).length > 0;

test("engine status: the prebuilt binary until a build is recorded", async () => {
  const plain = await runMullama(["engine"], { env: env() });
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^engine: prebuilt \(node-llama-cpp \d+\.\d+\.\d+\)\nno local build; "mullama engine build" makes one\n$/);
  const json = await runMullama(["engine", "status", "--json"], { env: env() });
  assert.equal(JSON.parse(json.stdout).engine, "prebuilt");
});

test("engine with an unknown action is a usage error", async () => {
  const result = await runMullama(["engine", "faster"], { env: env() });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown engine action "faster": use status, build or reset/);
});

test("a bad MULLAMA_ENGINE is one clear line", async () => {
  const result = await runMullama(["run", "In the beginning", "-n", "2", "--threads", "1"], { env: { ...env(), MULLAMA_ENGINE: "fast" } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /MULLAMA_ENGINE: must be "auto", "prebuilt" or "local", not "fast"/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
});

test("a recorded build that is missing: auto falls back to the prebuilt binary, local says so", { skip: hasLocalBuild && "a local build exists in this checkout" }, async () => {
  writeLocalEngineRecord(
    { version: 1, nodeLlamaCpp: nodeLlamaCppVersion(), cmakeOptions: { GGML_OPENMP: "ON" }, builtAt: new Date().toISOString(), check: { text: "x", prebuilt: { decode: { "1": 1 }, prompt: { "1": 1 } }, local: { decode: { "1": 1 }, prompt: { "1": 1 } } } },
    env(),
  );
  const status = await runMullama(["engine"], { env: env() });
  assert.match(status.stdout, /^engine: built here/);
  const fallback = await runMullama(["run", "In the beginning", "-n", "3", "-t", "0", "--threads", "1"], { env: env() });
  assert.equal(fallback.code, 0, fallback.stderr);
  assert.ok(fallback.stdout.length > 0);
  const required = await runMullama(["run", "In the beginning", "-n", "3", "--threads", "1"], { env: { ...env(), MULLAMA_ENGINE: "local" } });
  assert.equal(required.code, 1);
  assert.match(required.stderr, /mullama engine build/);
  const reset = await runMullama(["engine", "reset"], { env: env() });
  assert.equal(reset.code, 0);
  assert.match((await runMullama(["engine"], { env: env() })).stdout, /^engine: prebuilt/);
});
