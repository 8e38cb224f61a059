/**
 * Quantizations as Hugging Face repositories name their GGUF files, and the choice of a
 * default when a reference names none.
 *
 * The default is Q4_K_M, as Ollama and node-llama-cpp choose: about 4.8 bits per weight,
 * the usual balance of size and quality. A repository without it gets the nearest
 * trade-off that it has, in the order of `defaultQuantizationPreference`.
 */
import { isQuantizationName } from "../engine/quantizationNames.js";
import { ggufStem } from "./splitFiles.js";

/** Q4_K_M first, then other 4- and 5-bit formats, then larger, then smaller ones. */
export const defaultQuantizationPreference: readonly string[] = [
  "Q4_K_M", "Q4_K_S", "Q4_K_XL", "Q4_0", "IQ4_XS", "IQ4_NL", "Q5_K_M", "Q5_K_S", "Q5_0",
  "Q6_K", "Q8_0", "Q3_K_M", "Q3_K_L", "Q3_K_S", "IQ3_M", "IQ3_S", "IQ3_XS", "BF16", "F16",
  "Q2_K", "IQ2_M", "IQ2_S", "IQ2_XS", "F32",
];

/**
 * The quantization a file's name states, upper-case: the last `-` or `.` separated word
 * of its stem that is a known name (`Llama-3.2-1B-Instruct-Q4_K_M.gguf` -> `Q4_K_M`,
 * `model.q8_0.gguf` -> `Q8_0`), or undefined.
 */
export function quantizationOfFileName(path: string): string | undefined {
  const words = ggufStem(path).split(/[-.]/);
  for (let index = words.length - 1; index >= 0; index--) {
    if (isQuantizationName(words[index]!)) return words[index]!.toUpperCase();
  }
  return undefined;
}

/**
 * Whether a file's name carries the tag a reference gave (`:Q4_K_M`, `:UD-Q4_K_XL`):
 * its stem ends with the tag, after a "-" or "." (not "_", which quantization names contain), in any case.
 */
export function fileMatchesTag(path: string, tag: string): boolean {
  const stem = ggufStem(path).toUpperCase();
  const wanted = tag.toUpperCase();
  if (!stem.endsWith(wanted)) return false;
  const before = stem.length - wanted.length - 1;
  return before < 0 || "-./".includes(stem[before]!);
}

/**
 * The preferred of several quantizations: the first in the default order, else the first
 * given (a repository of one unusual format still has a default).
 */
export function preferredQuantization(available: readonly string[]): string | undefined {
  const upper = new Set(available.map((name) => name.toUpperCase()));
  return defaultQuantizationPreference.find((name) => upper.has(name)) ?? available[0]?.toUpperCase();
}
