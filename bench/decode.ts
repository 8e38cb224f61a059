/**
 * Decode speed of mullama's streaming API against a raw node-llama-cpp loop on the same
 * model, in the same process, interleaved repeat by repeat (so drift hits both sides).
 * Both sides: greedy sampling, the same prompt and token count, and every token
 * detokenized as it arrives (a stream that discards its text would be cheating).
 */
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { Context, Model } from "../src/index.ts";
import { spread, formatSpread, type Spread } from "./stats.ts";

export interface DecodeRow {
  model: string;
  raw: Spread;
  mullama: Spread;
  ratio: Spread;
}

export async function benchmarkDecode(modelPath: string, options: { repeats: number; tokens: number; threads: number; prompt: string }): Promise<DecodeRow> {
  const model = await Model.load(modelPath);
  const context = await Context.create(model, { threads: options.threads, sequences: 1, contextSize: Math.min(model.metadata.trainContextSize, 1024) });

  // The raw side: its own engine model and context, same parameters.
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0 });
  const rawModel = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const rawContext = await rawModel.createContext({ contextSize: context.contextSize, batchSize: context.batchSize, threads: options.threads, sequences: 1, flashAttention: false });
  const rawSequence = rawContext.getSequence();
  const promptTokens = model.tokenize(options.prompt, { addBos: true }) as Token[];

  const runRaw = async (): Promise<number> => {
    await rawSequence.clearHistory();
    let text = "";
    const generated: Token[] = [];
    let first = 0;
    for await (const token of rawSequence.evaluate(promptTokens, { temperature: 0 })) {
      if (generated.length === 0) first = performance.now();
      text += rawModel.detokenize([token], false, generated.length === 0 ? promptTokens.slice(-3) : generated.slice(-3));
      generated.push(token);
      if (generated.length >= options.tokens) break;
    }
    if (text.length === 0 || generated.length < options.tokens) throw new Error("raw loop generated too little");
    return ((generated.length - 1) * 1000) / (performance.now() - first);
  };
  const runMullama = async (): Promise<number> => {
    // A different first token each repeat would change the cache; start cold each time.
    const result = await context.generateStreaming(promptTokens, options.tokens, () => true, { temperature: 0 });
    if (result.tokenCount < options.tokens) throw new Error("mullama generated too little");
    return result.timings.tokensPerSecond;
  };

  await runRaw();
  await runMullama();
  const raw: number[] = [];
  const ours: number[] = [];
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    if (repeat % 2 === 0) {
      raw.push(await runRaw());
      ours.push(await runMullama());
    } else {
      ours.push(await runMullama());
      raw.push(await runRaw());
    }
  }
  await rawContext.dispose();
  await rawModel.dispose();
  await model.dispose();
  return {
    model: modelPath.split("/").at(-1)!,
    raw: spread(raw),
    mullama: spread(ours),
    ratio: spread(ours.map((value, index) => value / raw[index]!)),
  };
}

export function decodeTable(rows: readonly DecodeRow[], threads: number, tokens: number): string {
  const lines = [
    `Decode, ${tokens} tokens, greedy, ${threads} thread(s). Tokens/s: median (min-max) over repeats; ratio per repeat pair. Target: ratio >= 0.98.`,
    "",
    "| model | raw `sequence.evaluate` tokens/s | `generateStreaming` tokens/s | ratio |",
    "|---|---|---|---|",
    ...rows.map((row) => `| ${row.model} | ${formatSpread(row.raw)} | ${formatSpread(row.mullama)} | ${formatSpread(row.ratio, 3)} |`),
  ];
  return lines.join("\n");
}
