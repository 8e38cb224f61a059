/**
 * Child process of the memory benchmark: resident memory of a fresh process at each
 * stage, so nothing else the benchmark loaded is counted. Prints one JSON object.
 *
 * argv: <model path> <context size> <sequence counts, comma separated> <mmap: on | off>
 */
import { readFileSync } from "node:fs";
import { Context, Model } from "../src/index.ts";
import { loadEngine } from "../src/engine/llama.ts";

export interface MemorySample {
  /** Resident set size, bytes. */
  rss: number;
  /** Of which file-backed pages (the memory-mapped weights), bytes; undefined off Linux. */
  rssFile: number | undefined;
}

export interface MemoryProbeResult {
  engineLoaded: MemorySample;
  modelLoaded: MemorySample;
  loadMs: number;
  bySequences: { sequences: number; afterCreate: MemorySample; afterFirstToken: MemorySample }[];
}

function sample(): MemorySample {
  let rssFile: number | undefined;
  try {
    const match = /^RssFile:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (match) rssFile = Number(match[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return { rss: process.memoryUsage().rss, rssFile };
}

const [modelPath, contextSizeText, sequenceCountsText, mmap] = process.argv.slice(2);
const contextSize = Number(contextSizeText);
await loadEngine(false);
const engineLoaded = sample();
const loadStarted = performance.now();
const model = await Model.load(modelPath!, { useMmap: mmap !== "off" });
const loadMs = performance.now() - loadStarted;
const modelLoaded = sample();
const bySequences: MemoryProbeResult["bySequences"] = [];
for (const sequences of sequenceCountsText!.split(",").map(Number)) {
  const context = await Context.create(model, { threads: 1, sequences, contextSize });
  const afterCreate = sample();
  await Promise.all(Array.from({ length: sequences }, (_, index) => context.generate([300 + index, 400], { maxTokens: 1, temperature: 0 })));
  bySequences.push({ sequences, afterCreate, afterFirstToken: sample() });
  await context.dispose();
}
await model.dispose();
process.stdout.write(JSON.stringify({ engineLoaded, modelLoaded, loadMs, bySequences } satisfies MemoryProbeResult));
