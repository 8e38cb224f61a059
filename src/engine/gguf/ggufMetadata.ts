/**
 * Typed access to a validated header's metadata, and the model facts callers show
 * (architecture, size, quantization, context length, vocabulary, chat template).
 *
 * A key that is present with the wrong type means the file is damaged, so the getters
 * throw ModelLoadError rather than pretend the key is absent.
 */
import { GgufFileType } from "node-llama-cpp";
import { ModelLoadError } from "../../errors.js";
import type { GgufHeader } from "./ggufHeader.js";
import { isGgufArray, type GgufArray, type GgufValue } from "./ggufValue.js";

/** The string at `key`, or undefined when the key is absent. */
export function getMetadataString(header: GgufHeader, key: string): string | undefined {
  const value = header.metadata.get(key);
  if (value === undefined || typeof value === "string") return value;
  throw wrongType(header, key, "a string", value);
}

/** The number at `key` (any integer or float type), or undefined when the key is absent. */
export function getMetadataNumber(header: GgufHeader, key: string): number | undefined {
  const value = header.metadata.get(key);
  if (value === undefined || typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw wrongType(header, key, "a number", value);
}

/** The array at `key`, or undefined when the key is absent. Long arrays carry only `length`. */
export function getMetadataArray(header: GgufHeader, key: string): GgufArray | undefined {
  const value = header.metadata.get(key);
  if (value === undefined || isGgufArray(value)) return value;
  throw wrongType(header, key, "an array", value);
}

function wrongType(header: GgufHeader, key: string, expected: string, value: GgufValue): ModelLoadError {
  const found = isGgufArray(value) ? "an array" : `a ${typeof value}`;
  return new ModelLoadError(header.path, `malformed header: metadata "${key}" should be ${expected}, found ${found}`);
}

/** What a user wants to know about a model file, read from its header alone. */
export interface GgufModelSummary {
  /** `general.architecture`, for example `"llama"`. */
  readonly architecture: string;
  /** `general.name`, when the file has one. */
  readonly name: string | undefined;
  /** Total elements of all tensors: the parameter count. */
  readonly parameterCount: number;
  /** For example `"Q8_0"`: from `general.file_type`, else the type holding most matrix weights. */
  readonly quantization: string | undefined;
  /** `<architecture>.context_length`: the context the model was trained with, in tokens. */
  readonly contextLength: number | undefined;
  /** Number of entries in `tokenizer.ggml.tokens`. */
  readonly vocabularySize: number | undefined;
  /** `tokenizer.chat_template` (a Jinja template), when the file has one. */
  readonly chatTemplate: string | undefined;
}

export function summarizeGgufHeader(header: GgufHeader): GgufModelSummary {
  const fileType = getMetadataNumber(header, "general.file_type");
  return {
    architecture: header.architecture,
    name: getMetadataString(header, "general.name"),
    parameterCount: header.tensors.reduce((sum, tensor) => sum + tensor.elementCount, 0),
    quantization: fileType === undefined ? dominantMatrixType(header) : fileTypeName(fileType),
    contextLength: getMetadataNumber(header, `${header.architecture}.context_length`),
    vocabularySize: getMetadataArray(header, "tokenizer.ggml.tokens")?.length,
    chatTemplate: getMetadataString(header, "tokenizer.chat_template"),
  };
}

/** `llama_ftype` names as node-llama-cpp spells them, without the `MOSTLY_` / `ALL_` prefix. */
function fileTypeName(fileType: number): string | undefined {
  const name = (GgufFileType as unknown as Record<number, string | undefined>)[fileType];
  return name?.replace(/^(ALL|MOSTLY)_/, "");
}

/** Norms and biases are F32 in every quantization, so only matrices count. */
function dominantMatrixType(header: GgufHeader): string | undefined {
  const elementsByType = new Map<string, number>();
  for (const tensor of header.tensors) {
    if (tensor.dimensions.length < 2) continue;
    elementsByType.set(tensor.type, (elementsByType.get(tensor.type) ?? 0) + tensor.elementCount);
  }
  let dominant: string | undefined;
  for (const [type, count] of elementsByType) {
    if (dominant === undefined || count > elementsByType.get(dominant)!) dominant = type;
  }
  return dominant;
}
