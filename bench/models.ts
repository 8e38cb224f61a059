/**
 * The models the benchmarks run: the bundled demo model and random-weight models of
 * realistic shapes, generated on first use into bench/models/ (gitignored, cached).
 */
import { statSync } from "node:fs";
import { defaultModelPath } from "../src/index.ts";
import { readGgufHeader } from "../src/engine/gguf/ggufHeader.ts";
import { makeRandomModel, parameterCount, randomModelShapes, type RandomModelShape } from "../scripts/gguf/makeRandomModel.ts";

export interface BenchmarkModel {
  /** Short label for tables. */
  label: string;
  path: string;
  fileBytes: number;
  /**
   * Bytes of weights one decoded token reads: every tensor but the token embedding, of
   * which a token reads one row (unless the output matrix is tied to it).
   */
  streamedBytes: number;
  parameters: number;
  /** Training context: benchmarks never ask for more. */
  contextLength: number;
  /** The random models never emit EOS under greedy sampling (see makeRandomModel.ts). */
  neverEndsEarly: boolean;
  shape?: RandomModelShape;
}

async function describeFile(path: string): Promise<Pick<BenchmarkModel, "fileBytes" | "streamedBytes" | "parameters">> {
  const header = await readGgufHeader(path);
  const tied = !header.tensors.some((tensor) => tensor.name === "output.weight");
  const streamed = header.tensors.filter((tensor) => tied || tensor.name !== "token_embd.weight");
  return {
    fileBytes: statSync(path).size,
    streamedBytes: streamed.reduce((sum, tensor) => sum + tensor.byteSize, 0),
    parameters: header.tensors.reduce((sum, tensor) => sum + tensor.elementCount, 0),
  };
}

export async function demoModel(): Promise<BenchmarkModel> {
  const file = await describeFile(defaultModelPath);
  return { label: `kjv-tiny Q8_0 (${(file.parameters / 1e6).toFixed(0)}M, demo)`, path: defaultModelPath, ...file, contextLength: 256, neverEndsEarly: false };
}

/** The random models, smallest first. Writes the missing ones (about 20 s for all three, once). */
export async function randomModels(): Promise<BenchmarkModel[]> {
  const models: BenchmarkModel[] = [];
  for (const shape of Object.values(randomModelShapes)) {
    const started = performance.now();
    const path = await makeRandomModel(shape);
    const seconds = (performance.now() - started) / 1000;
    if (seconds > 1) process.stderr.write(`generated ${path} in ${seconds.toFixed(1)} s\n`);
    models.push({
      label: `random ${shape.type} (${(parameterCount(shape) / 1e6).toFixed(0)}M)`,
      path,
      ...(await describeFile(path)),
      contextLength: shape.contextLength,
      neverEndsEarly: true,
      shape,
    });
  }
  return models;
}

/** Bytes of the KV cache the engine allocates per token of context (F16 keys and values). */
export function kvCacheBytesPerToken(shape: RandomModelShape): number {
  const kvWidth = (shape.width / shape.heads) * shape.kvHeads;
  return 2 * shape.blocks * kvWidth * 2;
}
