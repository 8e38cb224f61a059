/**
 * `mullama engine build`: builds node-llama-cpp's engine from the llama.cpp source it
 * ships (offline, from its git bundle), checks the result by decoding a model with both
 * binaries in child processes, and records it so later processes load it
 * (engineRecord.ts). Any failure leaves the prebuilt binary in use. What it builds is in
 * cpuBuildOptions.ts: where the prebuilt binary ships kernel variants, the same kind of
 * binary with a persistent thread pool (addonThreadPool.ts) that loads those variant files;
 * elsewhere an OpenMP build for this machine's CPU.
 *
 * The build runs node-llama-cpp's own CLI (`source download --skipBuild`, then
 * `source build`): the documented way to compile it, with its CMake options passed as
 * `NODE_LLAMA_CPP_CMAKE_OPTION_*` variables. It needs cmake and a C++ compiler.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { EngineBuildError, errorMessage } from "../../errors.js";
import { nodeLlamaCppVersion } from "../engineVersion.js";
import { runChildJobs, type ChildJobResult } from "../probe/childJobs.js";
import type { EngineCheckInput, EngineCheckOutput } from "./engineCheckChild.js";
import { patchAddonForThreadPool } from "./addonThreadPool.js";
import { localEngineCmakeOptionsFor, threadPoolOption, usesPrebuiltKernels } from "./cpuBuildOptions.js";
import { prebuiltKernelFolder, usePrebuiltKernels } from "./prebuiltKernels.js";
import { removeLocalEngineRecord, writeLocalEngineRecord, type LocalEngineRecord } from "./engineRecord.js";

export interface EngineBuildOptions {
  /** The model the check decodes (the CLI passes the bundled demo model). */
  readonly checkModelPath: string;
  /** Thread counts the check measures. Defaults to 1 and 2. */
  readonly checkThreads?: readonly number[];
  /** Each line node-llama-cpp's build prints, as it prints it. */
  readonly onOutput?: (line: string) => void;
  /** Compiles again even when a local build is there and decodes. Defaults to false. */
  readonly rebuild?: boolean;
  /** Uses the local build even when the prebuilt binary was faster in the check. Defaults to false. */
  readonly force?: boolean;
  /** The step starting: "source", "build", "check", or "found" (a working build was already there). */
  readonly onStep?: (step: EngineBuildError["step"] | "found") => void;
}

const nodeLlamaCppRoot = new URL("../", import.meta.resolve("node-llama-cpp"));
const cliPath = fileURLToPath(new URL("./dist/cli/cli.js", nodeLlamaCppRoot));
/** Where `source download` puts the llama.cpp source (from node-llama-cpp's git bundle). */
const llamaCppSourceDirectory = fileURLToPath(new URL("./llama/llama.cpp/", nodeLlamaCppRoot));
const addonSourceDirectory = fileURLToPath(new URL("./llama/addon/", nodeLlamaCppRoot));
const localBuildsDirectory = fileURLToPath(new URL("./llama/localBuilds/", nodeLlamaCppRoot));
const checkChild = fileURLToPath(new URL(`./engineCheckChild${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

/** What `buildLocalEngine` found: the build's record, and whether it was recorded for use. */
export interface EngineBuildOutcome {
  readonly record: LocalEngineRecord;
  /** False when the prebuilt binary was faster in the check and `force` was not given: nothing was recorded. */
  readonly used: boolean;
}

/** The local build must reach this share of the prebuilt binary's best decode and prompt speeds to be used. */
const requiredSpeedShare = 0.95;

/** Builds and checks the local engine; records it for use when it is at least as fast as the prebuilt binary (or `force`). */
export async function buildLocalEngine(options: EngineBuildOptions): Promise<EngineBuildOutcome> {
  removeLocalEngineRecord();
  const cmakeOptions = localEngineCmakeOptionsFor();
  const threadCounts = options.checkThreads ?? [1, 2];
  // A build that is already there and decodes is kept: compiling again takes many minutes.
  const existing = options.rebuild === true ? undefined : await checkEngine("local", options.checkModelPath, threadCounts, cmakeOptions).catch(() => undefined);
  if (existing === undefined) {
    if (options.rebuild === true || !existsSync(llamaCppSourceDirectory)) {
      options.onStep?.("source");
      await runNodeLlamaCpp("source", ["source", "download", "--skipBuild", "--noUsageExample"], cmakeOptions, options.onOutput);
    }
    options.onStep?.("build");
    const restoreAddon = usesPrebuiltKernels(cmakeOptions) ? patchAddonForThreadPool(addonSourceDirectory) : undefined;
    try {
      await runNodeLlamaCpp("build", ["source", "build", "--gpu", "false", "--noUsageExample"], cmakeOptions, options.onOutput);
    } finally {
      restoreAddon?.();
    }
    if (usesPrebuiltKernels(cmakeOptions)) loadPrebuiltKernelsInBuild();
  }
  options.onStep?.(existing === undefined ? "check" : "found");
  // One after the other: two engines measured at once would slow each other down.
  const prebuilt = await checkEngine("prebuilt", options.checkModelPath, threadCounts);
  const local = await checkEngine("local", options.checkModelPath, threadCounts, cmakeOptions);
  if (local.text !== prebuilt.text) {
    throw new EngineBuildError("check", `the local build's greedy text differs from the prebuilt binary's (${JSON.stringify(local.text.slice(0, 60))} vs ${JSON.stringify(prebuilt.text.slice(0, 60))})`);
  }
  const record: LocalEngineRecord = {
    version: 1,
    nodeLlamaCpp: nodeLlamaCppVersion(),
    cmakeOptions,
    builtAt: new Date().toISOString(),
    check: { text: local.text, prebuilt: { decode: prebuilt.decode, prompt: prebuilt.prompt }, local: { decode: local.decode, prompt: local.prompt } },
  };
  const best = (speeds: Record<string, number>) => Math.max(0, ...Object.values(speeds));
  const fastEnough = best(local.decode) >= requiredSpeedShare * best(prebuilt.decode) && best(local.prompt) >= requiredSpeedShare * best(prebuilt.prompt);
  const used = fastEnough || options.force === true;
  if (used) writeLocalEngineRecord(record);
  return { record, used };
}

/**
 * Replaces the generic kernels of the build with the prebuilt variant files, in each folder
 * of the build that holds its binaries (the build is the one configured with the thread
 * pool option).
 */
function loadPrebuiltKernelsInBuild(): void {
  const kernels = prebuiltKernelFolder();
  if (kernels === undefined) throw new EngineBuildError("build", "the prebuilt binary's kernel files are gone");
  const builds = existsSync(localBuildsDirectory) ? readdirSync(localBuildsDirectory).map((name) => join(localBuildsDirectory, name)) : [];
  const build = builds.find((folder) => existsSync(join(folder, "CMakeCache.txt")) && readFileSync(join(folder, "CMakeCache.txt"), "utf8").includes(threadPoolOption));
  if (build === undefined) throw new EngineBuildError("build", `node-llama-cpp's build folder was not found in ${localBuildsDirectory}`);
  for (const binaries of ["Release", "bin"].map((name) => join(build, name)).filter((folder) => existsSync(join(folder, "llama-addon.node")) || existsSync(join(folder, "libggml-cpu.so")))) {
    usePrebuiltKernels(kernels, binaries);
  }
}

function runNodeLlamaCpp(step: EngineBuildError["step"], args: string[], cmakeOptions: Record<string, string>, onOutput: ((line: string) => void) | undefined): Promise<void> {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(cmakeOptions)) environment[`NODE_LLAMA_CPP_CMAKE_OPTION_${name}`] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: environment, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        onOutput?.(line);
      });
    }
    child.once("error", (error) => reject(new EngineBuildError(step, `node-llama-cpp could not start: ${errorMessage(error)}`, { cause: error })));
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new EngineBuildError(step, `\`node-llama-cpp ${args.join(" ")}\` failed (${signal ?? `exit code ${code}`}); its last lines:\n${tail.join("\n")}`));
    });
  });
}

async function checkEngine(kind: EngineCheckInput["kind"], modelPath: string, threadCounts: readonly number[], cmakeOptions?: Record<string, string>): Promise<EngineCheckOutput> {
  const input: EngineCheckInput = { kind, modelPath, threadCounts, tokens: 64, ...(cmakeOptions === undefined ? {} : { cmakeOptions }) };
  const [result] = (await runChildJobs({ script: checkChild, jobs: [{ id: kind, input }], timeoutMs: 300_000 })) as [ChildJobResult];
  if (result.status === "finished") {
    const output = result.output as EngineCheckOutput;
    if (output.error !== undefined) throw new EngineBuildError("check", `the ${kind} engine's check failed: ${output.error}`);
    return output;
  }
  const how = result.status === "timed-out" ? "did not finish in 300 s" : `died (${result.signal ?? `exit code ${result.exitCode}`})`;
  throw new EngineBuildError("check", `the ${kind} engine's check decode ${how}: ${result.log.slice(-500)}`);
}
