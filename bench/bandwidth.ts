/**
 * Row 3: the machine's limit. Generating one token streams every weight from memory
 * once, so memory read bandwidth divided by the model's weight bytes is the most tokens
 * per second any implementation can decode. The bandwidth comes from a sequential read
 * in native code (bench/native/readBandwidth.c, compiled with the system C compiler on
 * first use), not from JavaScript objects.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spread, type Spread } from "./stats.ts";

export interface BandwidthResult {
  /** GB/s (10^9 bytes/s) by thread count; best pass of each run, spread over repeats. */
  byThreads: { threads: number; gigabytesPerSecond: Spread }[];
  /** The highest median: the machine's limit. */
  bestGigabytesPerSecond: number;
}

const source = fileURLToPath(new URL("./native/readBandwidth.c", import.meta.url));

/** Compiles the probe once per source version; undefined when there is no C compiler. */
function compileProbe(): string | undefined {
  const code = readFileSync(source);
  const binary = join(tmpdir(), "mullama-bench", `readBandwidth-${createHash("sha256").update(code).digest("hex").slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(join(tmpdir(), "mullama-bench"), { recursive: true });
  for (const compiler of [process.env.CC, "cc", "gcc", "clang"].filter((name): name is string => Boolean(name))) {
    try {
      execFileSync(compiler, ["-O3", "-march=native", "-pthread", "-o", binary, source], { stdio: "ignore" });
      return binary;
    } catch {
      // Try the next compiler; -march=native is unknown to some, so retry without it.
      try {
        execFileSync(compiler, ["-O3", "-pthread", "-o", binary, source], { stdio: "ignore" });
        return binary;
      } catch {
        continue;
      }
    }
  }
  return undefined;
}

/** Reads `megabytes` (well above any cache) with 1 thread and with every core, `repeats` times. */
export function measureBandwidth(options: { repeats: number; megabytes: number }): BandwidthResult | undefined {
  const probe = compileProbe();
  if (probe === undefined) return undefined;
  const threadCounts = [...new Set([1, availableParallelism()])];
  const runs = new Map<number, number[]>(threadCounts.map((threads) => [threads, []]));
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (const threads of threadCounts) {
      const output = execFileSync(probe, [String(options.megabytes), String(threads), "4"], { encoding: "utf8" });
      runs.get(threads)!.push(Number.parseFloat(output));
    }
  }
  const byThreads = threadCounts.map((threads) => ({ threads, gigabytesPerSecond: spread(runs.get(threads)!) }));
  return { byThreads, bestGigabytesPerSecond: Math.max(...byThreads.map((entry) => entry.gigabytesPerSecond.median)) };
}
