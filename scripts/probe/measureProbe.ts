/**
 * What the probe costs on a model file: `node --import tsx scripts/probe/measureProbe.ts [model.gguf]`
 * (the demo model by default). Runs the compiled probe from dist/ (run `npm run build`
 * first), as an installed package would, so the child starts without compiling TypeScript.
 * Prints the median of several runs: a test load in a child (cold), a verdict from the
 * cache, and, for scale, loading the model in this process without a probe.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Imported by URL so that type checking does not need a build; the types come from src/.
const compiled = (module: string) => new URL(`../../dist/${module}`, import.meta.url).href;
const { Model, defaultModelPath } = (await import(compiled("index.js"))) as typeof import("../../src/index.js");
const { probeModelFile } = (await import(compiled("engine/probe/probeModelFile.js"))) as typeof import("../../src/engine/probe/probeModelFile.js");

const path = process.argv[2] ?? defaultModelPath;
const cacheDirectory = await mkdtemp(join(tmpdir(), "mullama-probe-cost-"));

async function median(runs: number, measure: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await measure();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

try {
  const plainLoad = await median(5, async () => {
    const model = await Model.load(path);
    await model.dispose();
  });
  const cold = await median(5, async () => void (await probeModelFile(path, { cacheDirectory, cache: false })));
  await probeModelFile(path, { cacheDirectory });
  const cached = await median(20, async () => void (await probeModelFile(path, { cacheDirectory })));
  console.log(`model: ${path}`);
  console.log(`load without probe (engine already started): ${plainLoad.toFixed(0)} ms`);
  console.log(`probe, cold (child process, engine start, load, one decode): ${cold.toFixed(0)} ms`);
  console.log(`probe, cached (header validation, fingerprint, cache lookup): ${cached.toFixed(1)} ms`);
} finally {
  await rm(cacheDirectory, { recursive: true, force: true });
}
