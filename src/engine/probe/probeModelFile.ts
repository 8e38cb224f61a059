/**
 * Defence in depth for model files from outside (a download, a user's upload, a model
 * store): validation (src/engine/gguf) refuses every kind of file known to abort the
 * engine, and the probe covers the kinds nobody has found yet. It loads the file in a
 * child process, tokenizes, decodes one token and prints it; if that process dies or
 * hangs, the file is refused, and the caller's process never ran it.
 *
 * Verdicts are cached by the file's fingerprint (probeCache.ts), so a file costs one probe
 * per engine version. What a probe costs is in docs/RELIABILITY.md ("Probing untrusted
 * files").
 */
import { fileURLToPath } from "node:url";
import { readGgufHeader } from "../gguf/ggufHeader.js";
import { validateGgufModel } from "../gguf/ggufModelValidation.js";
import type { GpuBackend } from "../llama.js";
import { runChildJobs, type ChildJobResult } from "./childJobs.js";
import { describeCrash } from "./engineCrash.js";
import { fileFingerprint } from "./fileFingerprint.js";
import { defaultCacheDirectory } from "../cacheDirectory.js";
import { nodeLlamaCppVersion } from "../engineVersion.js";
import { preferredEngine } from "../localEngine/engineRecord.js";
import { readCachedVerdict, storeVerdict } from "./probeCache.js";
import type { ProbeJobInput, ProbeJobOutput } from "./probeChild.js";

export interface ProbeOptions {
  /** The compute backend to probe with; use the one the real load will use. Defaults to `false` (CPU). */
  gpu?: GpuBackend;
  /** Reuse and store verdicts in the cache. Defaults to true. */
  cache?: boolean;
  /** Where verdicts are cached. Defaults to `$MULLAMA_CACHE_DIR`, else `$XDG_CACHE_HOME/mullama`, else `~/.cache/mullama`. */
  cacheDirectory?: string;
  /** Time the test load may take before the file counts as hanging the engine, in milliseconds. Defaults to 300,000 (a large model from a slow disk). */
  timeoutMs?: number;
}

/** Whether a file can be loaded in this process without risking it. */
export type ProbeVerdict = (
  | { readonly safe: true; /** The engine's clean rejection, when the test load failed without harm. */ readonly engineError?: string }
  | { readonly safe: false; /** Why, for a ModelLoadError: how the engine died, or that it hung. */ readonly reason: string }
) & {
  /** True when the verdict came from the cache rather than a test load. */
  readonly cached: boolean;
  /** The file's fingerprint, the cache key. */
  readonly fingerprint: string;
  /** Time the verdict took, in milliseconds. */
  readonly elapsedMs: number;
};

const childScript = fileURLToPath(new URL(`./probeChild${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

/**
 * Probes a model file: validates its header, then (unless a verdict is cached) loads it in
 * a child process, and resolves with whether loading it here is safe.
 * @throws ModelLoadError when the file cannot be read or fails validation (no probe runs).
 */
export async function probeModelFile(path: string, options: ProbeOptions = {}): Promise<ProbeVerdict> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  validateGgufModel(await readGgufHeader(path));
  const gpu = String(options.gpu ?? false);
  const engine = engineVersion();
  const directory = options.cacheDirectory ?? defaultCacheDirectory();
  const fingerprint = await fileFingerprint(path);
  if (options.cache ?? true) {
    const cached = await readCachedVerdict(directory, fingerprint, engine, gpu);
    if (cached !== undefined) {
      const verdict = cached.safe ? { safe: true as const } : { safe: false as const, reason: cached.reason ?? "an earlier test load crashed" };
      return { ...verdict, cached: true, fingerprint, elapsedMs: elapsed() };
    }
  }
  const timeoutMs = options.timeoutMs ?? 300_000;
  const jobs = [{ id: "probe", input: { path, gpu: options.gpu ?? false } }];
  const [result] = (await runChildJobs<ProbeJobInput>({ script: childScript, jobs, timeoutMs })) as [ChildJobResult];
  // A hang is not cached: a slow machine, not the file, may be why.
  if (result.status === "timed-out") {
    return { safe: false, reason: `a test load did not finish within ${timeoutMs / 1000} s`, cached: false, fingerprint, elapsedMs: elapsed() };
  }
  const verdict = verdictOf(result);
  if (options.cache ?? true) {
    const stored = { engine, gpu, probedAt: new Date().toISOString(), path, safe: verdict.safe, ...(verdict.safe ? {} : { reason: verdict.reason }) };
    // A cache that cannot be written costs a probe next time, not this verdict.
    await storeVerdict(directory, fingerprint, stored).catch(() => undefined);
  }
  return { ...verdict, cached: false, fingerprint, elapsedMs: elapsed() };
}

function verdictOf(result: Exclude<ChildJobResult, { status: "timed-out" }>): { safe: true; engineError?: string } | { safe: false; reason: string } {
  if (result.status === "died") {
    return { safe: false, reason: `the engine crashed on it in a test load (${describeCrash(result.signal, result.exitCode, result.log)})` };
  }
  const { error } = result.output as ProbeJobOutput;
  return error === undefined ? { safe: true } : { safe: true, engineError: error };
}

/**
 * The engine a verdict holds for: node-llama-cpp's version, which pins its llama.cpp
 * release, and whether the binary was built here (another build may crash where this one
 * did not, or the reverse).
 */
function engineVersion(): string {
  const kind = (() => {
    try {
      return preferredEngine(nodeLlamaCppVersion()).kind;
    } catch {
      return "prebuilt";
    }
  })();
  return `node-llama-cpp ${nodeLlamaCppVersion()}${kind === "local" ? " (built here)" : ""}`;
}
