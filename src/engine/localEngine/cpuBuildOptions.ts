/**
 * The CMake options `mullama engine build` compiles llama.cpp with.
 *
 * Where node-llama-cpp's prebuilt binary ships its CPU kernels as variant files
 * (prebuiltKernels.ts; x86-64 Linux), the build makes what the prebuilt binary is, with
 * the kernels loaded at run time (`GGML_BACKEND_DL`, no OpenMP), and then loads the
 * prebuilt variant files; what it adds is a persistent thread pool in the addon
 * (addonThreadPool.ts), marked by `MULLAMA_THREAD_POOL` (an option CMake ignores, which
 * gives the build a folder of its own). Elsewhere:
 *
 * OpenMP: llama.cpp keeps one thread team for the process instead of creating and joining
 * worker threads for every decode, which is what the prebuilt binary does.
 *
 * CPU instructions: on x86-64 Linux, the instruction sets the CPU reports, one ggml option
 * each, instead of `-march=native`. Native code would include AMX wherever the CPU lists
 * it, and llama.cpp's AMX kernels die with SIGILL in virtual machines that list AMX without
 * enabling its tile state (seen on this project's machine, in llama.cpp's own server too).
 * Elsewhere ggml's default (`GGML_NATIVE=ON` for a local build) is kept.
 */
import { readFileSync } from "node:fs";
import { prebuiltKernelFolder } from "./prebuiltKernels.js";

/** ggml's x86 options and the `/proc/cpuinfo` flags each needs. */
const x86Options: readonly [option: string, flags: readonly string[]][] = [
  ["GGML_SSE42", ["sse4_2"]],
  ["GGML_F16C", ["f16c"]],
  ["GGML_FMA", ["fma"]],
  ["GGML_BMI2", ["bmi2"]],
  ["GGML_AVX", ["avx"]],
  ["GGML_AVX2", ["avx2"]],
  ["GGML_AVX_VNNI", ["avx_vnni"]],
  ["GGML_AVX512", ["avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"]],
  ["GGML_AVX512_VBMI", ["avx512vbmi"]],
  ["GGML_AVX512_VNNI", ["avx512_vnni"]],
  ["GGML_AVX512_BF16", ["avx512_bf16"]],
];

/** The option that marks a build with the thread pool patch (CMake keeps it in the build's cache). */
export const threadPoolOption = "MULLAMA_THREAD_POOL";

/** The options of a build that loads the prebuilt kernel variants and adds the thread pool. */
export const prebuiltKernelBuildOptions: Readonly<Record<string, string>> = {
  GGML_BACKEND_DL: "ON",
  GGML_NATIVE: "OFF",
  GGML_OPENMP: "OFF",
  GGML_CPU_ALL_VARIANTS: "OFF",
  [threadPoolOption]: "ON",
};

/** Whether a build with `options` loads the prebuilt kernels and has the thread pool patch. */
export function usesPrebuiltKernels(options: Readonly<Record<string, string>>): boolean {
  return options[threadPoolOption] === "ON";
}

/**
 * The options for this machine. `cpuFlags` (the flags line of /proc/cpuinfo) is read when
 * not given; `prebuiltKernels` says whether the prebuilt binary ships kernel variants.
 */
export function localEngineCmakeOptionsFor(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
  cpuFlags?: readonly string[],
  prebuiltKernels: boolean = prebuiltKernelFolder(platform, arch) !== undefined,
): Record<string, string> {
  if (prebuiltKernels) return { ...prebuiltKernelBuildOptions };
  const options: Record<string, string> = { GGML_OPENMP: "ON" };
  if (platform !== "linux" || arch !== "x64") return options;
  const flags = new Set(cpuFlags ?? readCpuFlags());
  if (flags.size === 0) return options;
  options.GGML_NATIVE = "OFF";
  for (const [option, needed] of x86Options) options[option] = needed.every((flag) => flags.has(flag)) ? "ON" : "OFF";
  return options;
}

function readCpuFlags(): string[] {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((text) => text.startsWith("flags"));
    return line === undefined ? [] : line.slice(line.indexOf(":") + 1).trim().split(/\s+/);
  } catch {
    return [];
  }
}
