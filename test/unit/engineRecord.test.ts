/** Which engine binary a process loads: MULLAMA_ENGINE, the local build's record, and a record for another node-llama-cpp version. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { InvalidArgumentError } from "../../src/errors.ts";
import { engineRecordPath, preferredEngine, readLocalEngineRecord, removeLocalEngineRecord, writeLocalEngineRecord, type LocalEngineRecord } from "../../src/engine/localEngine/engineRecord.ts";

let environment: NodeJS.ProcessEnv;
before(async () => {
  environment = { MULLAMA_CACHE_DIR: await mkdtemp(join(tmpdir(), "mullama-engine-record-")) };
});
after(async () => {
  await rm(environment.MULLAMA_CACHE_DIR!, { recursive: true, force: true });
});

const record = (nodeLlamaCpp: string): LocalEngineRecord => ({
  version: 1,
  nodeLlamaCpp,
  cmakeOptions: { GGML_OPENMP: "ON" },
  builtAt: "2026-11-30T10:00:00.000Z",
  check: { text: "And God said", prebuilt: { decode: { "1": 80, "2": 40 }, prompt: { "1": 900, "2": 1600 } }, local: { decode: { "1": 82, "2": 150 }, prompt: { "1": 920, "2": 1700 } } },
});

test("without a record, auto means the prebuilt binary", () => {
  assert.deepEqual(preferredEngine("3.22.1", environment), { kind: "prebuilt", required: false });
});

test("a record for this node-llama-cpp version makes auto choose the local build, without requiring it", () => {
  writeLocalEngineRecord(record("3.22.1"), environment);
  assert.deepEqual(readLocalEngineRecord(environment), record("3.22.1"));
  assert.deepEqual(preferredEngine("3.22.1", environment), { kind: "local", required: false });
  assert.deepEqual(preferredEngine("3.23.0", environment), { kind: "prebuilt", required: false }, "a build for another version is not used");
  removeLocalEngineRecord(environment);
  assert.equal(readLocalEngineRecord(environment), undefined);
});

test("MULLAMA_ENGINE overrides the record, and a bad value is an error naming it", () => {
  writeLocalEngineRecord(record("3.22.1"), environment);
  assert.deepEqual(preferredEngine("3.22.1", { ...environment, MULLAMA_ENGINE: "prebuilt" }), { kind: "prebuilt", required: true });
  assert.deepEqual(preferredEngine("3.22.1", { ...environment, MULLAMA_ENGINE: "local" }), { kind: "local", required: true });
  assert.throws(() => preferredEngine("3.22.1", { ...environment, MULLAMA_ENGINE: "fast" }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === "MULLAMA_ENGINE");
  removeLocalEngineRecord(environment);
});

test("a damaged record reads as none", async () => {
  await writeFile(engineRecordPath(environment), "{ not json");
  assert.equal(readLocalEngineRecord(environment), undefined);
  assert.deepEqual(preferredEngine("3.22.1", environment), { kind: "prebuilt", required: false });
});
