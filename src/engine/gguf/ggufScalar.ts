/**
 * Reading single metadata values: length-prefixed strings and fixed-size numbers.
 *
 * A string's length is checked against a sanity cap before anything is allocated (a
 * corrupted length of 2^63 is "malformed"); the reader then checks it against the bytes
 * left in the file (a plausible length that runs past the end is "truncated").
 */
import type { GgufByteReader } from "./ggufByteReader.js";
import { ggufFixedValueSizes, type GgufScalarTypeName } from "./ggufFormat.js";
import { ggufHeaderLimits } from "./ggufLimits.js";

/**
 * One metadata value that is not an array. 64-bit integers are numbers when they fit in
 * a double exactly (they always do in practice) and bigints otherwise.
 */
export type GgufScalar = number | bigint | boolean | string;

/** Reads a length-prefixed UTF-8 string of at most `maxLength` bytes. */
export async function readString(reader: GgufByteReader, maxLength: number, what: string): Promise<string> {
  const length = await readStringLength(reader, maxLength, what);
  const bytes = await reader.bytes(length, what);
  return bytes.toString("utf8");
}

async function readStringLength(reader: GgufByteReader, maxLength: number, what: string): Promise<number> {
  return checkStringLength(reader, await reader.uint64(`the length of ${what}`), maxLength, what);
}

export function checkStringLength(reader: GgufByteReader, length: bigint, maxLength: number, what: string): number {
  if (length > BigInt(maxLength)) {
    reader.fail(`malformed header: string length ${length} of ${what} is over the limit of ${maxLength} bytes`);
  }
  return Number(length);
}

export async function readScalar(reader: GgufByteReader, type: GgufScalarTypeName, what: string): Promise<GgufScalar> {
  if (type === "string") return readString(reader, ggufHeaderLimits.maxStringLength, what);
  const bytes = await reader.bytes(ggufFixedValueSizes[type], what);
  return decodeFixedValue(bytes, 0, type);
}

export function decodeFixedValue(bytes: Buffer, at: number, type: Exclude<GgufScalarTypeName, "string">): GgufScalar {
  switch (type) {
    case "uint8":
      return bytes.readUInt8(at);
    case "int8":
      return bytes.readInt8(at);
    case "uint16":
      return bytes.readUInt16LE(at);
    case "int16":
      return bytes.readInt16LE(at);
    case "uint32":
      return bytes.readUInt32LE(at);
    case "int32":
      return bytes.readInt32LE(at);
    case "float32":
      return bytes.readFloatLE(at);
    case "float64":
      return bytes.readDoubleLE(at);
    case "bool":
      return bytes.readUInt8(at) !== 0;
    case "uint64":
      return narrowInteger(bytes.readBigUInt64LE(at));
    case "int64":
      return narrowInteger(bytes.readBigInt64LE(at));
  }
}

function narrowInteger(value: bigint): number | bigint {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

