/** llama.cpp's own `llama-bench` on the benchmark model: the peer engine's decode and prompt rates without any server. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export interface LlamaBenchResult {
  threads: number;
  /** "tg64" (decode) or "pp512" (prompt). */
  test: string;
  tokensPerSecond: number;
  standardDeviation: number;
}

interface LlamaBenchRecord {
  n_threads: number;
  n_prompt: number;
  n_gen: number;
  avg_ts: number;
  stddev_ts: number;
}

/** Runs `llama-bench -p promptTokens -n generateTokens -t <threads> -fa 1 -r repeats -o json`. */
export async function runLlamaBench(binary: string, modelPath: string, threads: readonly number[], options: { promptTokens: number; generateTokens: number; repeats: number }): Promise<LlamaBenchResult[]> {
  const args = ["-m", modelPath, "-p", String(options.promptTokens), "-n", String(options.generateTokens), "-t", threads.join(","), "-fa", "1", "-r", String(options.repeats), "-o", "json"];
  const { stdout } = await promisify(execFile)(binary, args, { maxBuffer: 16 * 2 ** 20, timeout: 600_000 });
  const records = JSON.parse(stdout) as LlamaBenchRecord[];
  return records.map((record) => ({
    threads: record.n_threads,
    test: record.n_gen > 0 ? `tg${record.n_gen}` : `pp${record.n_prompt}`,
    tokensPerSecond: record.avg_ts,
    standardDeviation: record.stddev_ts,
  }));
}

/** "mean ± standard deviation", as llama-bench reports. */
export function formatLlamaBench(result: LlamaBenchResult | undefined): string {
  return result === undefined ? "n/a" : `${result.tokensPerSecond.toFixed(0)} ± ${result.standardDeviation.toFixed(0)}`;
}

