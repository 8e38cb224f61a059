/**
 * One engine instance per process and GPU setting. `getLlama` forks a child process to
 * test the native binary (about a second), so it must happen once, not per model.
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { errorMessage, ModelLoadError } from "../errors.js";
import { nodeLlamaCppVersion } from "./engineVersion.js";
import { preferredEngine, recordedCmakeOptions, type EngineKind } from "./localEngine/engineRecord.js";

/** Which compute backend the engine uses. `false` is CPU only. */
export type GpuBackend = false | "auto" | "cuda" | "vulkan" | "metal";

const engines = new Map<string, Promise<Llama>>();

/**
 * Returns the shared engine for a backend, loading the prebuilt llama.cpp binary once.
 * `build: "never"` turns a missing binary into an error instead of an 11-minute source
 * build; `maxThreads: 0` leaves thread counts to each context (see threads.ts). A failure
 * to start is a ModelLoadError about `modelPath`, the model that needed the engine.
 */
export async function loadEngine(gpu: GpuBackend = false, modelPath = ""): Promise<Llama> {
  try {
    return await sharedEngine(gpu);
  } catch (error) {
    throw new ModelLoadError(modelPath, `the llama.cpp engine could not start (gpu: ${String(gpu)}): ${errorMessage(error)}`, { cause: error });
  }
}

function sharedEngine(gpu: GpuBackend): Promise<Llama> {
  const key = String(gpu);
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = gpu === false ? cpuEngine() : openEngine(gpu, "prebuilt");
    // A failed start is not cached: the next load tries again.
    engine.catch(() => engines.delete(key));
    engines.set(key, engine);
  }
  return engine;
}

const commonOptions = { build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0, progressLogs: false } as const;

/**
 * Opens one engine binary. "local" finds the build `mullama engine build` made, by its
 * CMake options (`cmakeOptions`, else the recorded ones).
 */
export async function openEngine(gpu: GpuBackend, kind: EngineKind, cmakeOptions?: Record<string, string>): Promise<Llama> {
  if (kind === "prebuilt") return getLlama({ ...commonOptions, gpu });
  const options = cmakeOptions ?? recordedCmakeOptions();
  if (options === undefined) throw new Error("no engine was built here: run `mullama engine build`");
  const llama = await getLlama({ ...commonOptions, gpu, usePrebuiltBinaries: false, cmakeOptions: { ...options } }).catch((error: unknown) => {
    // node-llama-cpp reinstalled (which empties its build folder), or another build replaced this one.
    throw new Error(`the engine \`mullama engine build\` made is not there any more (${errorMessage(error)}): run it again, or set MULLAMA_ENGINE=prebuilt`, { cause: error });
  });
  if (llama.buildType !== "localBuild") {
    await llama.dispose();
    throw new Error("no engine built by `mullama engine build` was found for this node-llama-cpp version");
  }
  return llama;
}

/**
 * The CPU engine: the local build when one was built and checked (see engineRecord.ts),
 * else the prebuilt binary. A local build that fails to open falls back to the prebuilt
 * one unless MULLAMA_ENGINE=local asked for it.
 */
async function cpuEngine(): Promise<Llama> {
  const preferred = preferredEngine(nodeLlamaCppVersion());
  if (preferred.kind === "prebuilt") return openEngine(false, "prebuilt");
  try {
    return await openEngine(false, "local");
  } catch (error) {
    if (preferred.required) throw error;
    return openEngine(false, "prebuilt");
  }
}

/** Which binary an open engine runs: "local" for a build made here, else "prebuilt". */
export function engineKindOf(llama: Llama): EngineKind {
  return llama.buildType === "localBuild" ? "local" : "prebuilt";
}
