/** A description of the machine, printed above every table (numbers mean little without it). */
import { cpus, totalmem } from "node:os";
import { readFileSync } from "node:fs";

export function describeMachine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  let flags = "";
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    const line = cpuinfo.split("\n").find((entry) => entry.startsWith("flags")) ?? "";
    const wanted = ["avx", "avx2", "avx512f", "avx512_vnni", "fma", "f16c", "amx_tile"];
    flags = wanted.filter((flag) => new RegExp(`\\b${flag}\\b`).test(line)).join(" ");
  } catch {
    // Not Linux: the flags are optional.
  }
  return `${cpu}; ${cpus().length} logical cores; ${(totalmem() / 2 ** 30).toFixed(0)} GiB; flags: ${flags || "n/a"}; Node ${process.version}`;
}
