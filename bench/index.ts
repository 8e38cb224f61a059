/**
 * `npm run bench [-- --quick] [-- --only=decode,threads] [-- --peer]`: every benchmark, side by side
 * with its baseline in the same run, printed and written to docs/BENCHMARKS.md. Run it
 * on an otherwise idle machine: the report records the load average before and after.
 *
 * `--peer` adds the comparison with llama.cpp's own server (row 9), which needs its binary
 * (`npm run peer:build`, or `LLAMA_SERVER=/path`); `--only=peer` runs that alone.
 *
 * To add a section, write a BenchmarkSection (bench/section.ts) and put it in `sections`
 * below, in the order its rows should appear.
 */
import { writeFileSync } from "node:fs";
import { defaultThreadCount } from "../src/index.ts";
import { table } from "./markdown.ts";
import { describeMachine, loadAverage } from "./machine.ts";
import { demoModel, randomModels } from "./models.ts";
import { watchNeighbours } from "./neighbours.ts";
import type { BenchmarkRun, BenchmarkSection, SummaryLine } from "./section.ts";
import { constrainedSection } from "./sections/constrainedSection.ts";
import { decodeSection, promptSection } from "./sections/decodeSection.ts";
import { gatewaySection } from "./sections/gatewaySection.ts";
import { defaultsSection } from "./sections/defaultsSection.ts";
import { embeddingSection } from "./sections/embeddingSection.ts";
import { engineSection } from "./sections/engineSection.ts";
import { limitSection } from "./sections/limitSection.ts";
import { lookupSection } from "./sections/lookupSection.ts";
import { memorySection } from "./sections/memorySection.ts";
import { peerSection } from "./sections/peerSection.ts";
import { placementSection } from "./sections/placementSection.ts";
import { serverSection } from "./sections/serverSection.ts";
import { startupSection } from "./sections/startupSection.ts";
import { threadsSection } from "./sections/threadsSection.ts";

const sections: BenchmarkSection[] = [decodeSection, promptSection, limitSection, threadsSection, serverSection, gatewaySection, memorySection, startupSection, defaultsSection, constrainedSection, embeddingSection, lookupSection, placementSection, peerSection, engineSection];
/** Sections that run only when asked for, by `--only` or their own flag. */
const onRequest = new Map<string, string>([[peerSection.name, "--peer"]]);

const quick = process.argv.includes("--quick");
const only = process.argv.find((argument) => argument.startsWith("--only="))?.slice("--only=".length).split(",");
const selected = sections.filter((section) => (only !== undefined ? only.includes(section.name) : !onRequest.has(section.name) || process.argv.includes(onRequest.get(section.name)!)));
const started = performance.now();
const loadBefore = loadAverage();

const run: BenchmarkRun = {
  quick,
  repeats: quick ? 3 : 5,
  threads: defaultThreadCount(),
  demoModel: await demoModel(),
  randomModels: selected.some((section) => section.usesModels !== false) ? await randomModels() : [],
  shared: new Map(),
};

const reportUrl = new URL("../docs/BENCHMARKS.md", import.meta.url);
const markdownSections: string[] = [];
const summary: SummaryLine[] = [];
/** Average cores other processes kept busy, per section. */
const neighbourUse: string[] = [];
for (const section of selected) {
  const sectionStarted = performance.now();
  const neighbours = watchNeighbours();
  const report = await section.run(run);
  const seconds = (performance.now() - sectionStarted) / 1000;
  const otherCores = neighbours();
  process.stderr.write(`${section.name}: ${seconds.toFixed(1)} s, other processes used ${otherCores.toFixed(2)} cores\n`);
  neighbourUse.push(`${section.name} ${otherCores.toFixed(2)}`);
  markdownSections.push(report.markdown);
  summary.push(...report.summary);
  // Written after every section, so that a run that dies later keeps what it measured.
  if (markdownSections.length < selected.length) writeFileSync(reportUrl, assembleReport(`(partial: ${markdownSections.length} of ${selected.length} sections so far)`));
}

process.stdout.write(assembleReport(""));
writeFileSync(reportUrl, assembleReport(""));

function assembleReport(partial: string): string {
  const verdict = (line: SummaryLine) => (line.met === undefined ? "" : line.met ? "met" : "**missed**");
  return [
    "# Benchmarks",
    "",
    `Written by \`npm run bench${quick ? " -- --quick" : ""}${process.argv.includes("--peer") ? " -- --peer" : ""}\`${only === undefined ? "" : ` (sections: ${only.join(", ")})`} on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC in ${((performance.now() - started) / 1000).toFixed(0)} s${partial === "" ? "" : ` ${partial}`}.`,
    "",
    `Machine: ${describeMachine()}.`,
    `Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAverage()}. Figures taken with a 1-minute load above about 0.5 on this machine are disturbed by other work.`,
    `Cores kept busy by other processes while each section ran (0.00 = undisturbed): ${neighbourUse.join(", ")}.`,
    "",
    "Every figure is a median (min-max) over repeats, against a baseline measured in the same process and minute, sides alternating. " +
      "The random models are Llama-architecture GGUF files with random weights at realistic shapes, written on first use by `scripts/gguf/makeRandomModel.ts` into bench/models/ (not committed); " +
      "greedy sampling can never pick their EOS token, so both sides always generate the full token count.",
    "",
    "## Summary",
    "",
    table(["row", "result", "target", ""], summary.map((line) => [line.row, line.result, line.target, verdict(line)])),
    "",
    ...markdownSections.flatMap((section) => [section, ""]),
  ].join("\n");
}
