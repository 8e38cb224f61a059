/**
 * Serializes GGUF metadata key/value pairs. Every entry states its type explicitly:
 * JavaScript numbers cannot tell a uint32 from a float32, and llama.cpp insists on the
 * exact type for many keys (for example `general.alignment` must be a uint32).
 */
import { GgufValueType, ggufFixedValueSizes, type GgufScalarTypeName } from "../../src/engine/gguf/ggufFormat.js";

export type GgufNumericTypeName = Exclude<GgufScalarTypeName, "string" | "bool">;
export type GgufScalarToWrite = string | number | bigint | boolean;

/** One metadata entry to write, in file order. */
export type GgufMetadataEntryToWrite =
  | { readonly key: string; readonly type: "string"; readonly value: string }
  | { readonly key: string; readonly type: "bool"; readonly value: boolean }
  | { readonly key: string; readonly type: GgufNumericTypeName; readonly value: number | bigint }
  | { readonly key: string; readonly type: "array"; readonly elementType: GgufScalarTypeName; readonly value: readonly GgufScalarToWrite[] };

/** Collects encoded pieces; `toBuffer` joins them. */
export class ByteSink {
  readonly #parts: Buffer[] = [];

  push(part: Buffer): void {
    this.#parts.push(part);
  }

  uint32(value: number): void {
    const part = Buffer.alloc(4);
    part.writeUInt32LE(value);
    this.push(part);
  }

  uint64(value: number | bigint): void {
    const part = Buffer.alloc(8);
    part.writeBigUInt64LE(BigInt(value));
    this.push(part);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.uint64(bytes.length);
    this.push(bytes);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

export function encodeMetadataEntry(sink: ByteSink, entry: GgufMetadataEntryToWrite): void {
  sink.string(entry.key);
  sink.uint32(GgufValueType[entry.type]);
  if (entry.type !== "array") {
    encodeScalar(sink, entry.type, entry.value, entry.key);
    return;
  }
  sink.uint32(GgufValueType[entry.elementType]);
  sink.uint64(entry.value.length);
  for (const element of entry.value) encodeScalar(sink, entry.elementType, element, entry.key);
}

function encodeScalar(sink: ByteSink, type: GgufScalarTypeName, value: GgufScalarToWrite, key: string): void {
  if (type === "string") {
    if (typeof value !== "string") throw new TypeError(`metadata "${key}": expected a string, got ${typeof value}`);
    sink.string(value);
    return;
  }
  const part = Buffer.alloc(ggufFixedValueSizes[type]);
  if (type === "bool") {
    if (typeof value !== "boolean") throw new TypeError(`metadata "${key}": expected a boolean, got ${typeof value}`);
    part.writeUInt8(value ? 1 : 0);
  } else {
    if (typeof value !== "number" && typeof value !== "bigint") throw new TypeError(`metadata "${key}": expected a number, got ${typeof value}`);
    writeNumber(part, type, value);
  }
  sink.push(part);
}

/** Buffer's own writers throw a RangeError for values that do not fit the type. */
function writeNumber(part: Buffer, type: GgufNumericTypeName, value: number | bigint): void {
  switch (type) {
    case "uint8":
      return void part.writeUInt8(Number(value));
    case "int8":
      return void part.writeInt8(Number(value));
    case "uint16":
      return void part.writeUInt16LE(Number(value));
    case "int16":
      return void part.writeInt16LE(Number(value));
    case "uint32":
      return void part.writeUInt32LE(Number(value));
    case "int32":
      return void part.writeInt32LE(Number(value));
    case "float32":
      return void part.writeFloatLE(Number(value));
    case "float64":
      return void part.writeDoubleLE(Number(value));
    case "uint64":
      return void part.writeBigUInt64LE(BigInt(value));
    case "int64":
      return void part.writeBigInt64LE(BigInt(value));
  }
}
