/**
 * The probe's child process: does to a model file what a real load and a first request
 * do (load it, tokenize, decode one token, print the token it picks), so that a file that
 * aborts the engine aborts this process instead of the caller's. See probeModelFile.ts.
 *
 * A clean failure (the engine rejects the file with an error) is reported as output: the
 * caller's own load will meet the same error without harm.
 */
import type { LlamaModel, Token } from "node-llama-cpp";
import { errorMessage } from "../../errors.js";
import { loadEngine, type GpuBackend } from "../llama.js";
import { defaultThreadCount } from "../threads.js";
import { serveChildJobs } from "./childJobProtocol.js";

/** What the parent asks for. */
export interface ProbeJobInput {
  readonly path: string;
  readonly gpu: GpuBackend;
}

/** What the child found when the process survived; `error` is the engine's clean rejection. */
export interface ProbeJobOutput {
  readonly error?: string;
}

/** Enough context for a one-token prompt; small, so the probe's memory stays small. */
const probeContextSize = 64;

async function probe({ path, gpu }: ProbeJobInput): Promise<ProbeJobOutput> {
  let model: LlamaModel;
  try {
    const engine = await loadEngine(gpu);
    model = await engine.loadModel({ modelPath: path, gpuLayers: gpu === false ? 0 : "auto" });
  } catch (error) {
    return { error: `the engine failed to load it (${errorMessage(error)})` };
  }
  try {
    const context = await model.createContext({ contextSize: probeContextSize, sequences: 1, threads: defaultThreadCount() });
    try {
      // Tokenizing exercises the tokenizer, which some vocabularies abort in on first use.
      const prompt = model.tokenize("Hello", false);
      const first = model.tokens.bos ?? prompt[0] ?? (0 as Token);
      const evaluation = context.getSequence().evaluate([first], { temperature: 0 });
      const next = await evaluation.next();
      await evaluation.return(undefined);
      // Printing the picked token is what a first request does next, and it can abort too.
      if (next.value !== undefined) model.detokenize([next.value]);
      return {};
    } finally {
      await context.dispose();
    }
  } catch (error) {
    return { error: `the engine failed to run it (${errorMessage(error)})` };
  } finally {
    await model.dispose();
  }
}

await serveChildJobs((input) => probe(input as ProbeJobInput));
