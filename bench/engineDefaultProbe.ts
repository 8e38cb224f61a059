/**
 * Child process of the threads benchmark: the engine's own defaults, exactly as a user
 * who passes nothing gets them (`getLlama()` without `maxThreads`, a context without
 * `threads`). Prints one JSON line per result; the parent kills it after a deadline,
 * because on a small machine these defaults can take minutes per decode.
 *
 * argv: <model path> <JSON WorkloadSizes>
 */
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { measureWorkload, type Workload, type WorkloadSizes } from "./threadWorkloads.ts";

const [modelPath, sizesJson] = process.argv.slice(2);
const sizes = JSON.parse(sizesJson!) as WorkloadSizes;
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
const model = await llama.loadModel({ modelPath: modelPath!, gpuLayers: 0 });
const context = await model.createContext({ contextSize: 2 * sizes.promptTokens, batchSize: sizes.promptTokens, sequences: 4, flashAttention: false });
process.stdout.write(`${JSON.stringify({ threads: context.idealThreads })}\n`);
const sequences = Array.from({ length: 4 }, () => context.getSequence());
// Cheapest first: the deadline may cut the rest.
for (const workload of ["prompt", "decode", "batch4"] as const satisfies readonly Workload[]) {
  const tokensPerSecond = await measureWorkload(sequences, workload, sizes);
  process.stdout.write(`${JSON.stringify({ workload, tokensPerSecond })}\n`);
}
await context.dispose();
await model.dispose();
