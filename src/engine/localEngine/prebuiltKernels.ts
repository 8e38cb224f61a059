/**
 * The CPU kernels of node-llama-cpp's prebuilt binary. On x86-64 Linux it ships them as
 * one library per CPU generation (`libggml-cpu-<cpu>.so`), loaded at run time, the best one
 * for the CPU picked at start. A build of our own can load those very files instead of
 * compiling kernels: same source commit, so the same ABI, and the same speed (our own
 * compiles of the AMX kernels die with SIGILL on VMs that list AMX; the prebuilt
 * variant's run, at twice the speed of the variant without AMX).
 */
import { copyFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The prebuilt binary's folder when it ships its kernels as variant files, else undefined. */
export function prebuiltKernelFolder(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | undefined {
  let folder: string;
  try {
    // The package's entry is dist/index.js; its binaries are in bins/<platform>-<arch>/.
    folder = join(dirname(fileURLToPath(import.meta.resolve(`@node-llama-cpp/${platform}-${arch}`))), "..", "bins", `${platform}-${arch}`);
  } catch {
    return undefined;
  }
  return existsSync(folder) && kernelVariants(folder).length > 0 ? folder : undefined;
}

/** The kernel variant files in `folder`. */
export function kernelVariants(folder: string): string[] {
  return readdirSync(folder).filter((name) => /^libggml-cpu-.+\.so$/.test(name));
}

/** Puts the prebuilt kernel variants in `binaryFolder` (where the binary loads its backends) instead of the generic kernels built there. */
export function usePrebuiltKernels(kernels: string, binaryFolder: string): void {
  rmSync(join(binaryFolder, "libggml-cpu.so"), { force: true });
  for (const name of kernelVariants(kernels)) copyFileSync(join(kernels, name), join(binaryFolder, name));
}
