/**
 * `npm run fuzz -- [--count 10000] [--seed 13] [--concurrency 1] [--no-report]`: builds
 * mutated copies of the demo model, loads each in a child process, prints the outcomes by
 * kind and writes them into docs/RELIABILITY.md ("## Model files"). Exits 1 when any
 * case died, hung or failed with an error other than ModelLoadError.
 */
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { formatFuzzReport, writeReportSection } from "./fuzzReport.js";
import { runFuzz } from "./runFuzz.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "10000" },
    seed: { type: "string", default: "13" },
    first: { type: "string", default: "0" },
    concurrency: { type: "string", default: "1" },
    "no-report": { type: "boolean", default: false },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const reportPath = fileURLToPath(new URL("../../docs/RELIABILITY.md", import.meta.url));

let lastShown = 0;
const summary = await runFuzz({
  seed,
  count,
  first: Number(values.first),
  concurrency: Number(values.concurrency),
  onProgress: (done, total) => {
    if (done - lastShown >= 100 || done === total) {
      lastShown = done;
      process.stderr.write(`\r${done} / ${total}`);
    }
  },
});
process.stderr.write("\n");
const report = formatFuzzReport(summary, {
  command: `npm run fuzz -- --count ${count}${seed === 13 ? "" : ` --seed ${seed}`}${values.first === "0" ? "" : ` --first ${values.first}`}`,
  machine: `${availableParallelism()} cores, ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.versions.node}`,
  date: new Date().toISOString().slice(0, 10),
});
process.stdout.write(`${report}\n`);
if (!values["no-report"]) {
  await writeReportSection(reportPath, report);
  process.stderr.write(`written to ${reportPath}\n`);
}
process.exitCode = summary.failures.length === 0 ? 0 : 1;
