/** A description of the machine, printed above every table (numbers mean little without it). */
import { cpus, loadavg, totalmem } from "node:os";
import { readFileSync } from "node:fs";

export function describeMachine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  let flags = "";
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    const line = cpuinfo.split("\n").find((entry) => entry.startsWith("flags")) ?? "";
    const wanted = ["avx", "avx2", "avx512f", "avx512_vnni", "avx512_bf16", "fma", "f16c", "amx_tile", "amx_int8"];
    flags = wanted.filter((flag) => new RegExp(`\\b${flag}\\b`).test(line)).join(" ");
  } catch {
    // Not Linux: the flags are optional.
  }
  return `${cpu}; ${cpus().length} logical cores; ${(totalmem() / 2 ** 30).toFixed(0)} GiB; flags: ${flags || "n/a"}; Node ${process.version}; ${process.platform}-${process.arch}`;
}

/** The 1-minute load average: above about 0.5 on a small machine, figures are disturbed. */
export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(", ");
}
