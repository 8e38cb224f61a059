/** How the Ollama routes describe models: `/api/tags`, `/api/show`, `/api/ps`. */
import type { LoadedModel } from "../models/loadedModel.js";
import type { ModelFacts } from "../models/modelFacts.js";

/** Ollama lists models with a tag; clients may use either form, both are accepted. A name with a tag of its own keeps it. */
export function taggedName(id: string): string {
  return /:[^/]*$/.test(id) ? id : `${id}:latest`;
}

/** Ollama's answer for a model kept loaded for good: a date far away. */
const foreverDate = "9999-12-31T23:59:59Z";

export function modelDetails(facts: ModelFacts) {
  return {
    parent_model: "",
    format: "gguf",
    family: facts.architecture,
    families: [facts.architecture],
    parameter_size: formatParameterCount(facts.parameterCount),
    quantization_level: facts.quantization ?? "unknown",
  };
}

export function tagsEntry(facts: ModelFacts) {
  return {
    name: taggedName(facts.id),
    model: taggedName(facts.id),
    modified_at: facts.modifiedAt.toISOString(),
    size: facts.sizeBytes,
    digest: facts.digest,
    details: modelDetails(facts),
  };
}

/** `/api/tags` for a model served by a gateway's upstream engines: its name; its files are theirs. */
export function upstreamTagsEntry(name: string) {
  const tagged = taggedName(name);
  return { name: tagged, model: tagged, modified_at: new Date(0).toISOString(), size: 0, digest: "", details: { parent_model: "", format: "upstream", family: "", families: [], parameter_size: "", quantization_level: "" } };
}

/** `/api/ps`: a loaded model, when it will be unloaded, and its memory estimate (all in RAM: `size_vram` 0). */
export function runningEntry(facts: ModelFacts, loaded: LoadedModel) {
  return { ...tagsEntry(facts), size: loaded.estimatedBytes, expires_at: loaded.expiresAt?.toISOString() ?? foreverDate, size_vram: 0, context_length: loaded.context.contextSize };
}

/** `/api/show`; `contextSize` is the loaded context's, else what one would get. */
export function showBody(facts: ModelFacts, contextSize: number) {
  return {
    modelfile: `FROM ${facts.path}\n`,
    parameters: `num_ctx ${contextSize}`,
    // Models without a template are prompted as they are (Ollama's own default template).
    template: facts.chatTemplate ?? "{{ .Prompt }}",
    details: modelDetails(facts),
    model_info: {
      "general.architecture": facts.architecture,
      ...(facts.name === undefined ? {} : { "general.name": facts.name }),
      "general.parameter_count": facts.parameterCount,
      [`${facts.architecture}.context_length`]: facts.contextLength,
      "tokenizer.ggml.vocab_size": facts.vocabularySize,
    },
    capabilities: ["completion", "embedding"],
    modified_at: facts.modifiedAt.toISOString(),
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
