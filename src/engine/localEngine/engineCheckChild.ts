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
  /** Tokens/s by thread count, the best of three runs: one sequence generating, and a 200-token prompt. */
  readonly decode: Record<string, number>;
  readonly prompt: Record<string, number>;
  readonly error?: string;
}

const promptTokenCount = 200;

async function check({ kind, modelPath, threadCounts, tokens, cmakeOptions }: EngineCheckInput): Promise<EngineCheckOutput> {
  const llama = await openEngine(false, kind, cmakeOptions);
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const decode: Record<string, number> = {};
  const prompt: Record<string, number> = {};
  const texts = new Set<string>();
  const rounded = (value: number) => Math.round(value * 10) / 10;
  try {
    for (const threads of threadCounts) {
      const context = await model.createContext({ contextSize: 256, sequences: 1, threads });
      try {
        const sequence = context.getSequence();
        const start = model.tokenize("In the beginning");
        const words = model.tokenize(" And it came to pass in those days that the people went up to the city");
        const longPrompt = Array.from({ length: promptTokenCount }, (_, index) => words[index % words.length]!);
        let bestDecode = 0;
        let bestPrompt = 0;
        for (let run = 0; run < 3; run += 1) {
          await sequence.clearHistory();
          const promptStarted = performance.now();
          await sequence.evaluateWithoutGeneratingNewTokens(longPrompt);
          bestPrompt = Math.max(bestPrompt, promptTokenCount / ((performance.now() - promptStarted) / 1000));
          await sequence.clearHistory();
          const generated: Token[] = [];
          let firstAt = 0;
          for await (const token of sequence.evaluate(start, { temperature: 0 })) {
            if (model.isEogToken(token)) break;
            generated.push(token);
            if (generated.length === 1) firstAt = performance.now();
            if (generated.length > tokens) break;
          }
          const seconds = (performance.now() - firstAt) / 1000;
          if (generated.length > 1) bestDecode = Math.max(bestDecode, (generated.length - 1) / seconds);
          texts.add(model.detokenize(generated));
        }
        decode[String(threads)] = rounded(bestDecode);
        prompt[String(threads)] = rounded(bestPrompt);
      } finally {
        await context.dispose();
      }
    }
  } finally {
    await model.dispose();
    await llama.dispose();
  }
  const [text = ""] = texts;
  return texts.size === 1 ? { text, decode, prompt } : { text, decode, prompt, error: "the greedy text changed with the thread count" };
}

await serveChildJobs((input) => check(input as EngineCheckInput));
