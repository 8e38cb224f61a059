/**
 * The GGUF file format's constants, shared by the header reader (src/engine/gguf) and
 * the writer (scripts/gguf). Everything is little-endian.
 *
 * Layout: magic "GGUF", uint32 version, uint64 tensor count, uint64 key/value count,
 * the key/value pairs, one info record per tensor, padding to the alignment, then the
 * tensor data, each tensor at an aligned offset from the start of the data section.
 */

/** The first four bytes of every GGUF file. */
export const ggufMagic = "GGUF";

/** Versions this reader accepts. Version 1 (32-bit counts) was dropped by llama.cpp. */
export const supportedGgufVersions: readonly number[] = [2, 3];

/** The version the writer produces. */
export const currentGgufVersion = 3;

/** Tensor data alignment when `general.alignment` is absent. */
export const defaultGgufAlignment = 32;

/**
 * The smallest alignment the engine can run: ggml's CPU backend asserts that tensor data
 * is aligned to 32 bytes (TENSOR_ALIGNMENT), so a file that declares 1 to 16 loads its
 * header and then aborts the process when its weights are mapped.
 */
export const minimumGgufAlignment = 32;

/** The metadata key that overrides the alignment (a uint32 power of two, at least 32). */
export const alignmentKey = "general.alignment";

/**
 * Metadata value type ids (`enum gguf_type` in llama.cpp's gguf.h; node-llama-cpp mirrors
 * it as `GgufValueType`).
 */
export const GgufValueType = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufValueTypeName = keyof typeof GgufValueType;
export type GgufValueTypeId = (typeof GgufValueType)[GgufValueTypeName];

/** The names of the value types that are not arrays. */
export type GgufScalarTypeName = Exclude<GgufValueTypeName, "array">;

/** Bytes of each fixed-size value type; strings and arrays have a length prefix instead. */
export const ggufFixedValueSizes: Readonly<Record<Exclude<GgufScalarTypeName, "string">, number>> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  bool: 1,
  uint64: 8,
  int64: 8,
  float64: 8,
};

const valueTypeNamesById = new Map<number, GgufValueTypeName>(
  Object.entries(GgufValueType).map(([name, id]) => [id, name as GgufValueTypeName]),
);

/** The name of a value type id, or undefined for an id the format does not define. */
export function ggufValueTypeName(id: number): GgufValueTypeName | undefined {
  return valueTypeNamesById.get(id);
}

/** A ggml tensor type: values are stored in blocks of `blockSize` elements. */
export interface GgmlTypeInfo {
  readonly id: number;
  readonly name: string;
  /** Elements per block; 1 for plain types such as F32. */
  readonly blockSize: number;
  /** Bytes one block occupies. */
  readonly bytesPerBlock: number;
}

/**
 * Every tensor type the llama.cpp in node-llama-cpp 3.22.1 can load. Ids and names from
 * `GgmlType` in node-llama-cpp's dist/gguf/types/GgufTensorInfoTypes.js; block sizes and
 * bytes per block checked against that engine's own `getBlockSizeForGgmlType` and
 * `getTypeSizeForGgmlType`. Ids the engine reports size 0 for are removed formats
 * (Q4_2, Q4_3, Q4_0_4_4, Q4_0_4_8, Q4_0_8_8, IQ4_NL_4_4, IQ4_NL_4_8, IQ4_NL_8_8, replaced by
 * run-time repacking) and are deliberately absent: a file using them cannot be loaded.
 */
export const ggmlTypes: readonly GgmlTypeInfo[] = [
  { id: 0, name: "F32", blockSize: 1, bytesPerBlock: 4 },
  { id: 1, name: "F16", blockSize: 1, bytesPerBlock: 2 },
  { id: 2, name: "Q4_0", blockSize: 32, bytesPerBlock: 18 },
  { id: 3, name: "Q4_1", blockSize: 32, bytesPerBlock: 20 },
  { id: 6, name: "Q5_0", blockSize: 32, bytesPerBlock: 22 },
  { id: 7, name: "Q5_1", blockSize: 32, bytesPerBlock: 24 },
  { id: 8, name: "Q8_0", blockSize: 32, bytesPerBlock: 34 },
  { id: 9, name: "Q8_1", blockSize: 32, bytesPerBlock: 36 },
  { id: 10, name: "Q2_K", blockSize: 256, bytesPerBlock: 84 },
  { id: 11, name: "Q3_K", blockSize: 256, bytesPerBlock: 110 },
  { id: 12, name: "Q4_K", blockSize: 256, bytesPerBlock: 144 },
  { id: 13, name: "Q5_K", blockSize: 256, bytesPerBlock: 176 },
  { id: 14, name: "Q6_K", blockSize: 256, bytesPerBlock: 210 },
  { id: 15, name: "Q8_K", blockSize: 256, bytesPerBlock: 292 },
  { id: 16, name: "IQ2_XXS", blockSize: 256, bytesPerBlock: 66 },
  { id: 17, name: "IQ2_XS", blockSize: 256, bytesPerBlock: 74 },
  { id: 18, name: "IQ3_XXS", blockSize: 256, bytesPerBlock: 98 },
  { id: 19, name: "IQ1_S", blockSize: 256, bytesPerBlock: 50 },
  { id: 20, name: "IQ4_NL", blockSize: 32, bytesPerBlock: 18 },
  { id: 21, name: "IQ3_S", blockSize: 256, bytesPerBlock: 110 },
  { id: 22, name: "IQ2_S", blockSize: 256, bytesPerBlock: 82 },
  { id: 23, name: "IQ4_XS", blockSize: 256, bytesPerBlock: 136 },
  { id: 24, name: "I8", blockSize: 1, bytesPerBlock: 1 },
  { id: 25, name: "I16", blockSize: 1, bytesPerBlock: 2 },
  { id: 26, name: "I32", blockSize: 1, bytesPerBlock: 4 },
  { id: 27, name: "I64", blockSize: 1, bytesPerBlock: 8 },
  { id: 28, name: "F64", blockSize: 1, bytesPerBlock: 8 },
  { id: 29, name: "IQ1_M", blockSize: 256, bytesPerBlock: 56 },
  { id: 30, name: "BF16", blockSize: 1, bytesPerBlock: 2 },
  { id: 34, name: "TQ1_0", blockSize: 256, bytesPerBlock: 54 },
  { id: 35, name: "TQ2_0", blockSize: 256, bytesPerBlock: 66 },
  { id: 39, name: "MXFP4", blockSize: 32, bytesPerBlock: 17 },
  { id: 40, name: "NVFP4", blockSize: 64, bytesPerBlock: 36 },
  { id: 41, name: "Q1_0", blockSize: 128, bytesPerBlock: 18 },
  { id: 42, name: "Q2_0", blockSize: 64, bytesPerBlock: 18 },
];

const ggmlTypesById = new Map(ggmlTypes.map((type) => [type.id, type]));
const ggmlTypesByName = new Map(ggmlTypes.map((type) => [type.name, type]));

/** The tensor type with this id, or undefined when llama.cpp cannot load it. */
export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return ggmlTypesById.get(id);
}

/** The tensor type with this name (for example `"Q8_0"`), or undefined. */
export function ggmlTypeByName(name: string): GgmlTypeInfo | undefined {
  return ggmlTypesByName.get(name);
}

/** Rounds `offset` up to the next multiple of `alignment` (a power of two). */
export function alignOffset(offset: number, alignment: number): number {
  const remainder = offset % alignment;
  return remainder === 0 ? offset : offset + alignment - remainder;
}
