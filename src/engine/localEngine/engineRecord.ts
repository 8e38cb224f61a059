/**
 * The engine built on this machine by `mullama engine build`, and which engine a process
 * uses.
 *
 * node-llama-cpp's prebuilt CPU binary is compiled without OpenMP, so llama.cpp creates
 * and joins its worker threads on every decode instead of keeping a thread team; a source
 * build keeps one (a persistent pool patched into the addon, or OpenMP: cpuBuildOptions.ts;
 * docs/PERFORMANCE.md has the measurements). node-llama-cpp keeps such a build in its own folder, found again by
 * its CMake options. This record, `engine.json` in the cache directory, says that one was
 * built and checked by a decode; without it, or with `MULLAMA_ENGINE=prebuilt`, the
 * prebuilt binary is used.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InvalidArgumentError } from "../../errors.js";
import { defaultCacheDirectory } from "../cacheDirectory.js";

/** Tokens/s by thread count. */
const speedsSchema = z.object({ decode: z.record(z.string(), z.number()), prompt: z.record(z.string(), z.number()) });
const recordSchema = z.object({
  version: z.literal(1),
  /** node-llama-cpp's version the build is for: another version needs another build. */
  nodeLlamaCpp: z.string(),
  /** The CMake options it was built with, as node-llama-cpp takes them (they also name its folder, where it is found again). */
  cmakeOptions: z.record(z.string(), z.string()),
  builtAt: z.string(),
  /** The check: greedy text both engines produced, and their speeds (decode and a 200-token prompt) by thread count. */
  check: z.object({ text: z.string(), prebuilt: speedsSchema, local: speedsSchema }),
});

export type LocalEngineRecord = z.infer<typeof recordSchema>;

/** Which engine binary to load: node-llama-cpp's prebuilt one, or the one built here. */
export type EngineKind = "prebuilt" | "local";

const recordFileName = "engine.json";

export function engineRecordPath(environment: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCacheDirectory(environment), recordFileName);
}

/** The record, if there is a readable one (a damaged file reads as none). */
export function readLocalEngineRecord(environment: NodeJS.ProcessEnv = process.env): LocalEngineRecord | undefined {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(readFileSync(engineRecordPath(environment), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written through a temporary file and a rename, so a reader never sees half of one. */
export function writeLocalEngineRecord(record: LocalEngineRecord, environment: NodeJS.ProcessEnv = process.env): void {
  const path = engineRecordPath(environment);
  mkdirSync(defaultCacheDirectory(environment), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function removeLocalEngineRecord(environment: NodeJS.ProcessEnv = process.env): void {
  rmSync(engineRecordPath(environment), { force: true });
}

/**
 * The engine to load for the CPU. `MULLAMA_ENGINE`: `prebuilt`, `local` (the local build
 * or an error), or `auto` (the default: the local build when one was built and checked for
 * this node-llama-cpp version, else the prebuilt one).
 */
export function preferredEngine(nodeLlamaCppVersion: string, environment: NodeJS.ProcessEnv = process.env): { kind: EngineKind; required: boolean } {
  const setting = environment.MULLAMA_ENGINE || "auto";
  if (setting === "prebuilt") return { kind: "prebuilt", required: true };
  if (setting === "local") return { kind: "local", required: true };
  if (setting !== "auto") throw new InvalidArgumentError("MULLAMA_ENGINE", `must be "auto", "prebuilt" or "local", not ${JSON.stringify(setting)}`);
  const record = readLocalEngineRecord(environment);
  return { kind: record !== undefined && record.nodeLlamaCpp === nodeLlamaCppVersion ? "local" : "prebuilt", required: false };
}

/** The CMake options of the recorded local build; undefined without a record. */
export function recordedCmakeOptions(environment: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  return readLocalEngineRecord(environment)?.cmakeOptions;
}
