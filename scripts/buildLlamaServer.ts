/**
 * `npm run peer:build`: builds llama.cpp's own `llama-server` and `llama-bench`, the peer
 * of `npm run bench -- --peer`, from the very llama.cpp source node-llama-cpp ships
 * (node_modules/node-llama-cpp/llama/gitRelease.bundle), with this machine's compiler and
 * cmake, into bench/llama.cpp/ (git-ignored). Built once: a later run with the same source only
 * prints where the binaries are. Never run by tests or CI; `LLAMA_SERVER=/path` makes the
 * benchmark use another binary instead. Needs git, cmake and a C++ compiler; takes about
 * 15 minutes on 2 cores.
 *
 * Where node-llama-cpp's prebuilt binary loads its CPU kernels as dynamic backends (the
 * `libggml-cpu-<cpu>.so` variants beside it, x86-64 Linux), llama.cpp is built the same
 * way (`GGML_BACKEND_DL`, no OpenMP, like the prebuilt binary) and those very variant files
 * are copied beside the server: both sides then run the same kernels from the same
 * source, and the comparison measures the servers (threading, batching, HTTP), not two
 * compilers. A kernel build of our own would differ: on a VM with AMX it must leave AMX
 * out (its tile kernels die with SIGILL there; the prebuilt variant's run), which halves
 * decode speed. Elsewhere the build is llama.cpp's default CPU build (`-march=native`,
 * OpenMP) with the CPU options of `mullama engine build`. Either way without the HTTPS
 * download support the benchmark does not need.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { peerBinaryPath, peerBuildDirectory } from "../bench/peer/peerBinary.ts";
import { localEngineCmakeOptionsFor } from "../src/engine/localEngine/cpuBuildOptions.ts";
import { prebuiltKernelFolder, usePrebuiltKernels } from "../src/engine/localEngine/prebuiltKernels.ts";

const bundle = fileURLToPath(new URL("../node_modules/node-llama-cpp/llama/gitRelease.bundle", import.meta.url));
const sourceDirectory = join(peerBuildDirectory, "src");
const buildDirectory = join(peerBuildDirectory, "build");
/** Records which source commit the binaries were built from. */
const stampPath = join(peerBuildDirectory, "built-from.txt");

function run(command: string, args: string[], options: { quiet?: boolean } = {}): string {
  process.stderr.write(`$ ${command} ${args.join(" ")}\n`);
  const result = spawnSync(command, args, { stdio: options.quiet ? ["ignore", "pipe", "inherit"] : "inherit", encoding: "utf8" });
  if (result.error !== undefined) throw new Error(`${command} could not start: ${result.error.message} (is it installed?)`);
  if (result.status !== 0) throw new Error(`${command} ${args[0]} failed with exit code ${result.status}`);
  return result.stdout ?? "";
}

function bundleCommit(): string {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm install first`);
  const heads = run("git", ["bundle", "list-heads", bundle], { quiet: true });
  const commit = heads.split(/\s/)[0];
  if (commit === undefined || !/^[0-9a-f]{40}$/.test(commit)) throw new Error(`cannot read the commit of ${bundle}`);
  return commit;
}

function cmakeOptions(kernels: string | undefined): string[] {
  const options = kernels !== undefined
    ? { GGML_BACKEND_DL: "ON", GGML_NATIVE: "OFF", GGML_OPENMP: "OFF", BUILD_SHARED_LIBS: "ON" }
    : localEngineCmakeOptionsFor();
  return Object.entries(options).map(([name, value]) => `-D${name}=${value}`);
}

function main(): void {
  if (process.env.CI) throw new Error("the peer build is for benchmarking by hand, not for CI (CI is set)");
  const commit = bundleCommit();
  const kernels = prebuiltKernelFolder();
  const options = cmakeOptions(kernels);
  /** What the binaries are: the source commit and the options (a change of either rebuilds). */
  const stamp = [commit, ...options].join(" ");
  const server = peerBinaryPath("llama-server");
  const bench = peerBinaryPath("llama-bench");
  if (existsSync(server) && existsSync(bench) && existsSync(stampPath) && readFileSync(stampPath, "utf8").trim() === stamp) {
    process.stdout.write(`already built from ${commit.slice(0, 12)}: ${server}\n`);
    return;
  }
  mkdirSync(peerBuildDirectory, { recursive: true });
  // A checkout of another commit (node-llama-cpp was updated) is replaced, not patched.
  if (existsSync(sourceDirectory) && run("git", ["-C", sourceDirectory, "rev-parse", "HEAD"], { quiet: true }).trim() !== commit) {
    rmSync(sourceDirectory, { recursive: true, force: true });
    rmSync(buildDirectory, { recursive: true, force: true });
  }
  if (!existsSync(sourceDirectory)) run("git", ["clone", "--quiet", bundle, sourceDirectory]);
  run("cmake", [
    "-S", sourceDirectory,
    "-B", buildDirectory,
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_SERVER=ON",
    ...options,
  ]);
  run("cmake", ["--build", buildDirectory, "--config", "Release", "-j", String(availableParallelism()), "--target", "llama-server", "llama-bench"]);
  if (kernels !== undefined) usePrebuiltKernels(kernels, dirname(server));
  // Proof that the binary runs on this machine, before the benchmark relies on it.
  run(server, ["--version"]);
  writeFileSync(stampPath, `${stamp}\n`);
  process.stdout.write(`built from ${commit.slice(0, 12)}: ${server}\nrun the peer benchmark with: npm run bench -- --only=peer\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`peer build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
