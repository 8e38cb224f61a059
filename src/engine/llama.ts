/**
 * One engine instance per process and GPU setting. `getLlama` forks a child process to
 * test the native binary (about a second), so it must happen once, not per model.
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { MullamaError } from "../errors.js";

/** Which compute backend the engine uses. `false` is CPU only. */
export type GpuBackend = false | "auto" | "cuda" | "vulkan" | "metal";

const engines = new Map<string, Promise<Llama>>();

/**
 * Returns the shared engine for a backend, loading the prebuilt llama.cpp binary once.
 * `build: "never"` turns a missing binary into an error instead of an 11-minute source
 * build; `maxThreads: 0` leaves thread counts to each context (see threads.ts).
 */
export function loadEngine(gpu: GpuBackend = false): Promise<Llama> {
  const key = String(gpu);
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = getLlama({
      gpu,
      build: "never",
      logLevel: LlamaLogLevel.error,
      maxThreads: 0,
      progressLogs: false,
    }).catch((error: unknown) => {
      engines.delete(key);
      throw new MullamaError("MODEL_LOAD_FAILED", `Cannot start the llama.cpp engine (gpu: ${key})`, { cause: error });
    });
    engines.set(key, engine);
  }
  return engine;
}
