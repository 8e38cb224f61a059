/**
 * Row 6: resident memory after load and per extra sequence, against the model file size
 * and the KV cache the context parameters imply. Each model is measured in a fresh
 * child process.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { MemoryProbeResult } from "./memoryProbe.ts";
import { kvCacheBytesPerToken, type BenchmarkModel } from "./models.ts";

export interface MemoryResult extends MemoryProbeResult {
  model: BenchmarkModel;
  contextSize: number;
  mmap: boolean;
  /** KV cache bytes per sequence that contextSize implies (F16 keys and values). */
  kvBytesPerSequence: number | undefined;
}

const probe = fileURLToPath(new URL("./memoryProbe.ts", import.meta.url));

export function benchmarkMemory(model: BenchmarkModel, contextSize: number, sequenceCounts: readonly number[], mmap = true): MemoryResult {
  const output = execFileSync(process.execPath, ["--import", "tsx", probe, model.path, String(contextSize), sequenceCounts.join(","), mmap ? "on" : "off"], { encoding: "utf8" });
  const measured = JSON.parse(output) as MemoryProbeResult;
  return { model, contextSize, mmap, ...measured, kvBytesPerSequence: model.shape === undefined ? undefined : kvCacheBytesPerToken(model.shape) * contextSize };
}
