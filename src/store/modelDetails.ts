/**
 * What `mullama show` tells about a model file, read from its GGUF header(s) without
 * loading the weights: a split set's later parts are read for their tensors and sizes.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readGgufHeader } from "../engine/gguf/ggufHeader.js";
import { getMetadataNumber, getMetadataString, summarizeGgufHeader } from "../engine/gguf/ggufMetadata.js";
import { splitSetOf } from "./splitFiles.js";

export interface ModelDetails {
  /** `general.architecture`, for example `"llama"`. */
  readonly architecture: string;
  /** `general.name`, when the file has one. */
  readonly name: string | undefined;
  /** Weights summed over every tensor of every part. */
  readonly parameterCount: number;
  readonly quantization: string | undefined;
  /** The context length the model was trained with, in tokens. */
  readonly contextLength: number | undefined;
  /** Width of the hidden state (and of a decoder's embeddings). */
  readonly embeddingLength: number | undefined;
  readonly vocabularySize: number | undefined;
  /** The Jinja chat template, when the file has one. */
  readonly chatTemplate: string | undefined;
  /** `general.license` (for example `"apache-2.0"`), when the file states one. */
  readonly license: string | undefined;
  /** Every file of the model (the parts of a split set), first first. */
  readonly files: readonly string[];
  readonly sizeBytes: number;
}

/** Reads the details of the model whose (first) file is at `path`. Throws ModelLoadError for a bad file. */
export async function readModelDetails(path: string): Promise<ModelDetails> {
  const header = await readGgufHeader(path);
  const summary = summarizeGgufHeader(header);
  const split = splitSetOf(basename(path));
  const files = split === undefined ? [path] : split.parts.map((part) => join(dirname(path), part));
  let parameterCount = summary.parameterCount;
  let sizeBytes = header.fileSize;
  for (const file of files.slice(1)) {
    const part = await readGgufHeader(file, { splitContinuation: true });
    parameterCount += part.tensors.reduce((sum, tensor) => sum + tensor.elementCount, 0);
    sizeBytes += (await stat(file)).size;
  }
  return {
    architecture: summary.architecture,
    name: summary.name,
    parameterCount,
    quantization: summary.quantization,
    contextLength: summary.contextLength,
    embeddingLength: getMetadataNumber(header, `${header.architecture}.embedding_length`),
    vocabularySize: summary.vocabularySize,
    chatTemplate: summary.chatTemplate,
    license: getMetadataString(header, "general.license"),
    files,
    sizeBytes,
  };
}
