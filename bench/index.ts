/**
 * `npm run bench [-- --quick]`: every benchmark, side by side with its baseline in the
 * same run, printed and written to docs/BENCHMARKS.md. Run it on an otherwise idle machine.
 */
import { writeFileSync } from "node:fs";
import { defaultModelPath } from "../src/index.ts";
import { defaultThreadCount } from "../src/index.ts";
import { benchmarkDecode, decodeTable } from "./decode.ts";
import { describeMachine } from "./machine.ts";

const quick = process.argv.includes("--quick");
const repeats = quick ? 3 : 7;
const threads = defaultThreadCount();
const tokens = 200;

const sections: string[] = [];
const decodeRows = [await benchmarkDecode(defaultModelPath, { repeats, tokens, threads, prompt: "And God said" })];
sections.push(decodeTable(decodeRows, threads, tokens));

const report = [
  "# Benchmarks",
  "",
  "Written by `npm run bench`" + (quick ? " (quick mode)" : "") + ` on ${new Date().toISOString().slice(0, 10)}.`,
  "",
  `Machine: ${describeMachine()}.`,
  "",
  ...sections.flatMap((section) => [section, ""]),
].join("\n");
process.stdout.write(report);
writeFileSync(new URL("../docs/BENCHMARKS.md", import.meta.url), report);
