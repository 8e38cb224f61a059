/**
 * The child process of `mullama engine build`'s check: opens one engine binary, decodes a
 * model greedily at each thread count asked for, and reports the text and the decode
 * speed. A binary that aborts, or cannot load, takes down this process, not the caller.
 */
import { serveChildJobs } from "../probe/childJobProtocol.js";
import { openEngine } from "../llama.js";
import type { EngineKind } from "./engineRecord.js";
import { measureEngineSpeed, repeatedTokens } from "./engineSpeed.js";

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
        const longPrompt = repeatedTokens(model.tokenize(" And it came to pass in those days that the people went up to the city"), promptTokenCount);
        let bestDecode = 0;
        let bestPrompt = 0;
        for (let run = 0; run < 3; run += 1) {
          const speed = await measureEngineSpeed(model, sequence, longPrompt, start, tokens);
          bestPrompt = Math.max(bestPrompt, speed.prompt);
          bestDecode = Math.max(bestDecode, speed.decode);
          texts.add(speed.text);
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
