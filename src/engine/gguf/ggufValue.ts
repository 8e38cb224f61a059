/**
 * Reading metadata key/value pairs: a key, a value type, then a scalar or an array.
 */
import type { GgufByteReader } from "./ggufByteReader.js";
import { ggufValueTypeName, type GgufValueTypeName } from "./ggufFormat.js";
import { ggufHeaderLimits } from "./ggufLimits.js";
import { readArray, type GgufArray } from "./ggufArrayValue.js";
import { readScalar, readString, type GgufScalar } from "./ggufScalar.js";

export type { GgufArray } from "./ggufArrayValue.js";
export type { GgufScalar } from "./ggufScalar.js";

export type GgufValue = GgufScalar | GgufArray;

/** A key/value pair as stored in the file, with its declared value type. */
export interface GgufKeyValue {
  readonly key: string;
  readonly type: GgufValueTypeName;
  readonly value: GgufValue;
}

/** True when `value` is an array (as opposed to a string, number or boolean). */
export function isGgufArray(value: GgufValue | undefined): value is GgufArray {
  return typeof value === "object" && value.kind === "array";
}

/**
 * Reads one key/value pair. Arrays longer than `keptArrayElementLimit` keep their
 * elements only when `keepElementsOf` says so for their key.
 */
export async function readKeyValue(reader: GgufByteReader, index: number, keepElementsOf: (key: string) => boolean): Promise<GgufKeyValue> {
  const key = await readString(reader, ggufHeaderLimits.maxKeyLength, `the key of metadata entry ${index}`);
  const typeId = await reader.uint32(`the type of metadata "${key}"`);
  const type = ggufValueTypeName(typeId);
  if (type === undefined) reader.fail(`malformed header: metadata "${key}" has unknown value type ${typeId}`);
  const value =
    type === "array" ? await readArray(reader, key, keepElementsOf(key)) : await readScalar(reader, type, `the value of "${key}"`);
  return { key, type, value };
}

