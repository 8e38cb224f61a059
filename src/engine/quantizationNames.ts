/**
 * The quantization names that GGUF file names carry (`Q4_K_M`, `IQ4_XS`, `Q8_0`, `F16`,
 * ...), as node-llama-cpp knows them. Kept behind this module so that only the engine
 * layer imports node-llama-cpp.
 */
import { ggufFileQuantNames } from "node-llama-cpp";

const names: ReadonlySet<string> = new Set(ggufFileQuantNames.map((name) => name.toUpperCase()));

/** True for a known quantization name, in any case: `q4_k_m` is `Q4_K_M`. */
export function isQuantizationName(text: string): boolean {
  return names.has(text.toUpperCase());
}
