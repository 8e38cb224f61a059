/** How the Ollama routes describe the served model: `/api/tags`, `/api/show`, `/api/ps`. */
import type { ServedModel } from "../servedModel.js";

/** Ollama lists models with a tag; clients may use either form, both are accepted. */
export function taggedName(served: ServedModel): string {
  return `${served.id}:latest`;
}

export function modelDetails(served: ServedModel) {
  const { metadata } = served.model;
  return {
    parent_model: "",
    format: "gguf",
    family: metadata.architecture,
    families: [metadata.architecture],
    parameter_size: formatParameterCount(metadata.parameterCount),
    quantization_level: metadata.quantization ?? "unknown",
  };
}

export function tagsEntry(served: ServedModel) {
  return {
    name: taggedName(served),
    model: taggedName(served),
    modified_at: served.modifiedAt.toISOString(),
    size: served.fileSizeBytes,
    digest: served.digest,
    details: modelDetails(served),
  };
}

/** `/api/ps`: the model stays loaded while the server runs, so it never expires. */
export function runningEntry(served: ServedModel) {
  return { ...tagsEntry(served), expires_at: "9999-12-31T23:59:59Z", size_vram: 0 };
}

export function showBody(served: ServedModel, contextSize: number) {
  const { metadata } = served.model;
  return {
    modelfile: `FROM ${served.model.path}\n`,
    parameters: `num_ctx ${contextSize}`,
    // Models without a template are prompted as they are (Ollama's own default template).
    template: metadata.chatTemplate ?? "{{ .Prompt }}",
    details: modelDetails(served),
    model_info: {
      "general.architecture": metadata.architecture,
      ...(metadata.name === undefined ? {} : { "general.name": metadata.name }),
      "general.parameter_count": metadata.parameterCount,
      [`${metadata.architecture}.context_length`]: metadata.trainContextSize,
      "tokenizer.ggml.vocab_size": metadata.vocabularySize,
    },
    capabilities: ["completion"],
    modified_at: served.modifiedAt.toISOString(),
  };
}

/** 1970000 -> "2.0M", 7241732096 -> "7.2B", as Ollama writes sizes. */
export function formatParameterCount(count: number): string {
  const units: [number, string][] = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [size, unit] of units) if (count >= size) return `${(count / size).toFixed(1)}${unit}`;
  return String(count);
}
