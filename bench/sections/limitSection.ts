/** Row 3: the machine's limit (memory bandwidth / bytes per token) and decode as a fraction of it. */
import { availableParallelism } from "node:os";
import { measureBandwidth } from "../bandwidth.ts";
import type { SpeedRow } from "../decode.ts";
import { table } from "../markdown.ts";
import type { BenchmarkSection } from "../section.ts";
import { formatSpread } from "../stats.ts";

export const limitSection: BenchmarkSection = {
  name: "limit",
  async run(run) {
    const bandwidth = measureBandwidth({ repeats: run.repeats, megabytes: 512 });
    const heading = "## 3. The machine's limit: memory bandwidth and the decode ceiling";
    if (bandwidth === undefined) {
      return { markdown: `${heading}\n\nNo C compiler found (cc, gcc, clang or $CC): bandwidth not measured.`, summary: [] };
    }
    const single = bandwidth.byThreads.find((entry) => entry.threads === 1)!.gigabytesPerSecond.median;
    const best = bandwidth.bestGigabytesPerSecond;
    // The decode rows ran at run.threads; the bandwidth those threads can draw is the fair ceiling.
    const atDecodeThreads = run.threads === 1 ? single : best;
    const decodeRows = ((run.shared.get("decode") as SpeedRow[] | undefined) ?? []).filter((row) => row.model.neverEndsEarly);
    const ceiling = (gigabytesPerSecond: number, row: SpeedRow) => (gigabytesPerSecond * 1e9) / row.model.streamedBytes;
    const rows = decodeRows.map((row) => [
      row.model.label,
      `${(row.model.streamedBytes / 1e6).toFixed(0)} MB`,
      ceiling(best, row).toFixed(0),
      ceiling(atDecodeThreads, row).toFixed(0),
      row.mullama.median.toFixed(1),
      (row.mullama.median / ceiling(atDecodeThreads, row)).toFixed(2),
      (row.mullama.median / ceiling(best, row)).toFixed(2),
    ]);
    const markdown = [
      heading,
      "",
      `Sequential read of 512 MiB in native code (bench/native/readBandwidth.c, compiled with the system C compiler), GB/s (10^9 bytes/s), best of 4 passes per run, median (min-max) over ${run.repeats} runs: ` +
        bandwidth.byThreads.map((entry) => `${entry.threads} thread(s) ${formatSpread(entry.gigabytesPerSecond)}`).join(", ") +
        `. Decoding one token reads every weight once except the token embedding (one row of it), so the bandwidth divided by those bytes is the most tokens/s any program can decode (${availableParallelism()} logical cores here). ` +
        "A model that partly fits the CPU's last-level cache can beat the DRAM figure.",
      "",
      `Decode tokens/s are the \`generateStreaming\` medians of row 1, at ${run.threads} thread(s); the fair ceiling is the bandwidth ${run.threads} thread(s) can draw.`,
      "",
      table(["model", "bytes per token", "ceiling tokens/s, all cores", `ceiling tokens/s, ${run.threads} thread(s)`, "decode tokens/s", `fraction of the ${run.threads}-thread ceiling`, "fraction of the all-core ceiling"], rows),
    ].join("\n");
    return {
      markdown,
      summary: decodeRows.map((row) => ({
        row: `3. Decode / bandwidth ceiling (${run.threads} thread(s)), ${row.model.label}`,
        result: (row.mullama.median / ceiling(atDecodeThreads, row)).toFixed(2),
        target: "reported",
        met: undefined,
      })),
    };
  },
};
