/**
 * The child process of `mullama engine build`'s check: opens one engine binary, decodes a
 * model greedily at each thread count asked for, and reports the text and the decode
 * speed. A binary that aborts, or cannot load, takes down this process, not the caller.
 */
import type { Token } from "node-llama-cpp";
import { serveChildJobs } from "../probe/childJobProtocol.js";
import { openEngine } from "../llama.js";
import type { EngineKind } from "./engineRecord.js";

export interface EngineCheckInput {
  readonly kind: EngineKind;
  readonly modelPath: string;
  readonly threadCounts: readonly number[];
  /** The local build's CMake options (they name its folder); the recorded ones when not given. */
  readonly cmakeOptions?: Record<string, string>;
  /** Tokens decoded per thread count. */
  readonly tokens: number;
}

export interface EngineCheckOutput {
  /** The greedy text (the same at every thread count, or the check fails). */
  readonly text: string;
  /** Decode tokens/s by thread count: the best of three runs. */
  readonly tokensPerSecond: Record<string, number>;
  readonly error?: string;
}

async function check({ kind, modelPath, threadCounts, tokens, cmakeOptions }: EngineCheckInput): Promise<EngineCheckOutput> {
  const llama = await openEngine(false, kind, cmakeOptions);
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const tokensPerSecond: Record<string, number> = {};
  const texts = new Set<string>();
  try {
    for (const threads of threadCounts) {
      const context = await model.createContext({ contextSize: 256, sequences: 1, threads });
      try {
        const sequence = context.getSequence();
        const prompt = model.tokenize("In the beginning");
        let best = 0;
        for (let run = 0; run < 3; run += 1) {
          await sequence.clearHistory();
          const generated: Token[] = [];
          let firstAt = 0;
          for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
            if (model.isEogToken(token)) break;
            generated.push(token);
            if (generated.length === 1) firstAt = performance.now();
            if (generated.length > tokens) break;
          }
          const seconds = (performance.now() - firstAt) / 1000;
          if (generated.length > 1) best = Math.max(best, (generated.length - 1) / seconds);
          texts.add(model.detokenize(generated));
        }
        tokensPerSecond[String(threads)] = Math.round(best * 10) / 10;
      } finally {
        await context.dispose();
      }
    }
  } finally {
    await model.dispose();
    await llama.dispose();
  }
  const [text = ""] = texts;
  return texts.size === 1 ? { text, tokensPerSecond } : { text, tokensPerSecond, error: "the greedy text changed with the thread count" };
}

await serveChildJobs((input) => check(input as EngineCheckInput));
