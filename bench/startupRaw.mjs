// The baseline of the start-up benchmark (bench/startup.ts): the least a program must do to
// print one generated token with node-llama-cpp. Plain JavaScript, so nothing is compiled
// at start-up. argv: <model path> <prompt>
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [modelPath, prompt] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0, progressLogs: false });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({ contextSize: 256, batchSize: 256, threads: 1, sequences: 1, flashAttention: model.flashAttentionSupported });
const tokens = [model.tokens.bos, ...model.tokenize(prompt)];
for await (const token of context.getSequence().evaluate(tokens, { temperature: 0 })) {
  process.stdout.write(model.detokenize([token]));
  break;
}
process.stdout.write("\n");
await context.dispose();
