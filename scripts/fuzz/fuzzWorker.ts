/**
 * The fuzz suite's child process: for each job, loads a model file through the public
 * API (`Model.load`, then a 5-token greedy generation on one thread) and reports how it
 * ended. A job names either a file or a fuzz case, which the child writes itself (from
 * the seed and index) and deletes afterwards, so a run of 10,000 cases never holds more
 * than one mutated copy of the model on disk.
 *
 * Deaths and hangs are not reported here: the parent sees them (see childJobs.ts).
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Context } from "../../src/context/Context.js";
import { loadEngine } from "../../src/engine/llama.js";
import { serveChildJobs } from "../../src/engine/probe/childJobProtocol.js";
import { ModelLoadError, errorMessage } from "../../src/errors.js";
import { Model } from "../../src/model/Model.js";
import { defaultModelPath } from "../../src/model/defaultModel.js";
import { buildFuzzCase, loadFuzzBase, type FuzzBase } from "./fuzzCases.js";

/** A job: a file to load, or a fuzz case to build into `directory` and load. */
export type FuzzJobInput = { readonly path: string } | { readonly seed: number; readonly index: number; readonly directory: string };

/** How loading one file ended, when the process survived it. */
export interface FuzzJobOutput {
  readonly outcome: "refused" | "loaded" | "error";
  /** The refusal's reason, the generated text's token count, or the error's name and message. */
  readonly detail: string;
}

let base: FuzzBase | undefined;

async function runJob(input: FuzzJobInput): Promise<FuzzJobOutput> {
  if ("path" in input) return tryModel(input.path);
  base ??= await loadFuzzBase(defaultModelPath);
  const path = join(input.directory, `case-${input.index}.gguf`);
  await writeFile(path, buildFuzzCase(base, input.seed, input.index).file.bytes);
  try {
    return await tryModel(path);
  } finally {
    await rm(path, { force: true });
  }
}

async function tryModel(path: string): Promise<FuzzJobOutput> {
  let model: Model;
  try {
    model = await Model.load(path);
  } catch (error) {
    if (error instanceof ModelLoadError) return { outcome: "refused", detail: error.reason };
    return { outcome: "error", detail: describe(error) };
  }
  try {
    const context = await Context.create(model, { threads: 1 });
    const prompt = model.tokenize("In the beginning", { addBos: true });
    // A file may claim a training context of a token or two; that is no fault of the engine's.
    const maxTokens = Math.min(5, context.contextSize - prompt.length);
    if (maxTokens < 1) return { outcome: "loaded", detail: `a context of ${context.contextSize} tokens, too small to generate in` };
    const result = await context.generate(prompt, { maxTokens, temperature: 0 });
    return { outcome: "loaded", detail: `${result.tokenCount} tokens, stop: ${result.stopReason}` };
  } catch (error) {
    return { outcome: "error", detail: describe(error) };
  } finally {
    await model.dispose();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : errorMessage(error);
}

await serveChildJobs((input) => runJob(input as FuzzJobInput), async () => void (await loadEngine(false)));
