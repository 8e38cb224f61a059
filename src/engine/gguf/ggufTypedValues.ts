/**
 * Reading hyperparameters the way llama.cpp does: `get_key<T>` accepts one exact value
 * type (a uint32 `block_count` stored as an int32 fails the load without a reason), and
 * `get_key_or_arr` takes one value for every layer or an array of one per layer. Each
 * reader checks the type and a range and refuses with the key and the value.
 */
import { ModelLoadError } from "../../errors.js";
import type { GgufHeader } from "./ggufHeader.js";
import { describeValue, metadataError, outOfRange } from "./ggufModelErrors.js";
import { isGgufArray } from "./ggufValue.js";

/** Most hyperparameters are int32 in llama.h (`llama_model_n_ctx_train` and friends), so bigger values turn negative. */
export const int32Max = 2 ** 31 - 1;

export interface Range {
  readonly minimum: number;
  readonly maximum: number;
  /** Why the range is what it is, added to the refusal. */
  readonly why?: string;
}

export function requiredUint32(header: GgufHeader, key: string, range: Range): number {
  const value = optionalUint32(header, key, range);
  if (value === undefined) throw new ModelLoadError(header.path, `missing ${key}, which the engine requires`);
  return value;
}

/** llama.cpp reads these with `get_key<uint32_t>`, which accepts the uint32 type only. */
export function optionalUint32(header: GgufHeader, key: string, range: Range): number | undefined {
  const value = header.metadata.get(key);
  if (value === undefined) return undefined;
  const type = header.metadataTypes.get(key);
  if (type !== "uint32" || typeof value !== "number") throw metadataError(header, key, `is ${describeValue(value)} of type ${type}, not a uint32`);
  if (value < range.minimum || value > range.maximum) throw metadataError(header, key, outOfRange(value, range.minimum, range.maximum, range.why));
  return value;
}

/**
 * A value per layer: one uint32 for every layer, or an array of one per layer
 * (`get_key_or_arr`, which takes uint32, int32 or bool elements).
 */
export function perLayerUint32(header: GgufHeader, key: string, blockCount: number): number[] | undefined {
  const value = header.metadata.get(key);
  if (!isGgufArray(value)) {
    const scalar = optionalUint32(header, key, { minimum: 0, maximum: int32Max });
    return scalar === undefined ? undefined : new Array<number>(blockCount).fill(scalar);
  }
  if (!["uint32", "int32", "bool"].includes(value.elementType)) throw metadataError(header, key, `is an array of ${value.elementType}, not of uint32`);
  if (value.length !== blockCount || value.elements === undefined) throw metadataError(header, key, `has ${value.length} entries for ${blockCount} layers`);
  const layers = value.elements.map(Number);
  const bad = layers.findIndex((layer) => !Number.isInteger(layer) || layer < 0 || layer > int32Max);
  if (bad !== -1) throw metadataError(header, key, `has ${layers[bad]} for layer ${bad} (must be 0 to ${int32Max})`);
  return layers;
}

/** A float the engine divides by or takes a root of: a float32 (its only accepted type), finite and above 0. */
export function checkPositiveFloat32(header: GgufHeader, key: string): void {
  const value = header.metadata.get(key);
  if (value === undefined) return;
  const type = header.metadataTypes.get(key);
  if (type !== "float32" || typeof value !== "number") throw metadataError(header, key, `is ${describeValue(value)} of type ${type}, not a float32`);
  if (!Number.isFinite(value) || value <= 0) throw metadataError(header, key, `is ${describeValue(value)} (must be a finite number above 0)`);
}
