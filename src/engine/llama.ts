/**
 * One engine instance per process and GPU setting. `getLlama` forks a child process to
 * test the native binary (about a second), so it must happen once, not per model.
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { ModelLoadError } from "../errors.js";

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
    throw new ModelLoadError(modelPath, `the llama.cpp engine could not start (gpu: ${String(gpu)})`, { cause: error });
  }
}

function sharedEngine(gpu: GpuBackend): Promise<Llama> {
  const key = String(gpu);
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0, progressLogs: false });
    // A failed start is not cached: the next load tries again.
    engine.catch(() => engines.delete(key));
    engines.set(key, engine);
  }
  return engine;
}
