/** The CMake options of `mullama engine build`: the prebuilt kind of build where its kernel variants exist; else OpenMP, and on x86-64 Linux the CPU's own instruction sets, never AMX. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { localEngineCmakeOptionsFor, usesPrebuiltKernels } from "../../src/engine/localEngine/cpuBuildOptions.ts";

test("x86-64 Linux: one ggml option per instruction set the CPU reports; AVX-512 needs all five of its base flags; AMX stays off", () => {
  const options = localEngineCmakeOptionsFor("linux", "x64", ["sse4_2", "fma", "f16c", "avx", "avx2", "avx512f", "avx512cd", "avx512vl", "avx512dq", "amx_tile", "amx_int8"], false);
  assert.equal(options.GGML_OPENMP, "ON");
  assert.equal(options.GGML_NATIVE, "OFF", "not -march=native, which would bring AMX in");
  assert.equal(options.GGML_AVX2, "ON");
  assert.equal(options.GGML_AVX512, "OFF", "avx512bw is missing");
  assert.equal(options.GGML_BMI2, "OFF");
  assert.equal(Object.keys(options).some((name) => name.includes("AMX")), false);
});

test("elsewhere, or when the CPU's flags cannot be read, ggml's native default is kept", () => {
  assert.deepEqual(localEngineCmakeOptionsFor("darwin", "arm64", [], false), { GGML_OPENMP: "ON" });
  assert.deepEqual(localEngineCmakeOptionsFor("linux", "x64", [], false), { GGML_OPENMP: "ON" });
});

test("where the prebuilt binary ships kernel variants: its own kind of build (kernels loaded at run time, no OpenMP) with the thread pool", () => {
  const options = localEngineCmakeOptionsFor("linux", "x64", ["avx2"], true);
  assert.deepEqual(options, { GGML_BACKEND_DL: "ON", GGML_NATIVE: "OFF", GGML_OPENMP: "OFF", GGML_CPU_ALL_VARIANTS: "OFF", MULLAMA_THREAD_POOL: "ON" });
  assert.equal(usesPrebuiltKernels(options), true);
  assert.equal(usesPrebuiltKernels(localEngineCmakeOptionsFor("linux", "x64", ["avx2"], false)), false);
});
