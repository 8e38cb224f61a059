/**
 * Refusals of a model file whose header is well formed but whose content the engine
 * cannot run: each reason names the metadata key (or tensor) and the value found, so a
 * user can see what is wrong without a hex editor.
 */
import { ModelLoadError } from "../../errors.js";
import type { GgufHeader } from "./ggufHeader.js";
import { isGgufArray, type GgufArray, type GgufValue } from "./ggufValue.js";

/** A value as a reason shows it: strings quoted, floats exact (NaN, -Infinity), arrays abbreviated. */
export function describeValue(value: GgufValue | readonly number[]): string {
  if (Array.isArray(value)) return describeElements(value);
  if (isGgufArray(value as GgufValue)) {
    const { elements, length } = value as GgufArray;
    return elements === undefined ? `an array of ${length} elements` : describeElements(elements);
  }
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === "number" && Object.is(value, -0)) return "-0";
  return String(value);
}

function describeElements(elements: readonly GgufValue[]): string {
  const shown = elements.slice(0, 8).map(describeValue).join(", ");
  return `[${shown}${elements.length > 8 ? `, ... (${elements.length} in all)` : ""}]`;
}

/** "`key` `problem`": the problem says what the value is and why it cannot be run. */
export function metadataError(header: GgufHeader, key: string, problem: string): ModelLoadError {
  return new ModelLoadError(header.path, `${key} ${problem}`);
}

/** The problem for a value outside its range, for example `is 0 (must be 1 to 512)`. */
export function outOfRange(value: GgufValue | readonly number[], minimum: number, maximum: number, why = ""): string {
  return `is ${describeValue(value)} (must be ${minimum} to ${maximum}${why === "" ? "" : `: ${why}`})`;
}
