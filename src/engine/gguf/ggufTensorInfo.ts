/**
 * Tensor info records: name, shape, type and where the data lies.
 *
 * The shape is checked the way ggml needs it (at most 4 dimensions, each at least 1,
 * rows made of whole blocks); the placement is checked once the start of the data
 * section is known, which is how a file cut short is recognised.
 */
import type { GgufByteReader } from "./ggufByteReader.js";
import { ggmlTypeById } from "./ggufFormat.js";
import { ggufHeaderLimits } from "./ggufLimits.js";
import { readString } from "./ggufScalar.js";

/** One tensor as described by the header. */
export interface GgufTensorInfo {
  readonly name: string;
  /** ggml order: `dimensions[0]` (ne0) is the innermost, contiguous dimension. */
  readonly dimensions: readonly number[];
  /** The ggml type name, for example `"Q8_0"` or `"F32"`. */
  readonly type: string;
  /** The ggml type id, for example 8 for Q8_0. */
  readonly typeId: number;
  /** Offset of the data from the start of the data section, in bytes. */
  readonly offset: number;
  /** Size of the data in bytes. */
  readonly byteSize: number;
  /** Product of the dimensions. */
  readonly elementCount: number;
}

/** A tensor record as read, before its placement in the file is checked. */
export interface UnplacedTensorInfo {
  readonly name: string;
  readonly dimensions: readonly number[];
  readonly type: string;
  readonly typeId: number;
  readonly offset: bigint;
  readonly byteSize: bigint;
  readonly elementCount: bigint;
}

const maxInt64 = (1n << 63n) - 1n;

/** Reads and checks the info record of tensor number `index`. */
export async function readTensorInfo(reader: GgufByteReader, index: number): Promise<UnplacedTensorInfo> {
  const name = await readString(reader, ggufHeaderLimits.maxTensorNameLength, `the name of tensor ${index}`);
  const label = `tensor "${name}"`;
  const dimensionCount = await reader.uint32(`the dimension count of ${label}`);
  if (dimensionCount > ggufHeaderLimits.maxDimensions) {
    reader.fail(`malformed header: ${label} has ${dimensionCount} dimensions (at most ${ggufHeaderLimits.maxDimensions})`);
  }
  const dimensions: bigint[] = [];
  for (let dimension = 0; dimension < dimensionCount; dimension++) {
    const size = await reader.uint64(`the shape of ${label}`);
    if (size === 0n) reader.fail(`malformed header: ${label} has a dimension of size 0`);
    dimensions.push(size);
  }
  const elementCount = dimensions.reduce((product, size) => product * size, 1n);
  if (elementCount > maxInt64) reader.fail(`malformed header: ${label} has too many elements (2^63 or more)`);

  const typeId = await reader.uint32(`the type of ${label}`);
  const type = ggmlTypeById(typeId);
  if (type === undefined) reader.fail(`malformed header: ${label} has unknown tensor type ${typeId}`);
  // ggml quantizes row by row, so the innermost dimension must hold whole blocks.
  const rowLength = dimensions[0] ?? 1n;
  if (rowLength % BigInt(type.blockSize) !== 0n) {
    reader.fail(`malformed header: ${label} has rows of ${rowLength} elements, not a multiple of the ${type.name} block size ${type.blockSize}`);
  }
  const offset = await reader.uint64(`the data offset of ${label}`);
  return {
    name,
    // Safe: every dimension divides an element count that has been checked below 2^63,
    // and placement (below) bounds the total by the file size.
    dimensions: dimensions.map(Number),
    type: type.name,
    typeId,
    offset,
    byteSize: (elementCount / BigInt(type.blockSize)) * BigInt(type.bytesPerBlock),
    elementCount,
  };
}

/**
 * Checks that the tensor's data starts on an alignment boundary, right after the tensor
 * before it, and ends inside the file, and returns it with plain numbers (safe once
 * bounded by the file size). `expectedOffset` is where the previous tensor's data ends,
 * padded to the alignment: llama.cpp's reader requires the data packed in header order.
 */
export function placeTensor(reader: GgufByteReader, tensor: UnplacedTensorInfo, dataOffset: number, alignment: number, expectedOffset: bigint): GgufTensorInfo {
  const label = `tensor "${tensor.name}"`;
  if (tensor.offset % BigInt(alignment) !== 0n) {
    reader.fail(`malformed header: the data offset ${tensor.offset} of ${label} is not a multiple of the alignment ${alignment}`);
  }
  if (tensor.offset !== expectedOffset) {
    reader.fail(`malformed header: the data of ${label} starts at offset ${tensor.offset}, but the tensors before it end at ${expectedOffset} (tensor data must be packed in header order)`);
  }
  const end = BigInt(dataOffset) + tensor.offset + tensor.byteSize;
  if (end > BigInt(reader.fileSize)) {
    reader.fail(`truncated: the data of ${label} would end at byte ${end}, but the file has ${reader.fileSize} bytes`);
  }
  return {
    name: tensor.name,
    dimensions: tensor.dimensions,
    type: tensor.type,
    typeId: tensor.typeId,
    offset: Number(tensor.offset),
    byteSize: Number(tensor.byteSize),
    elementCount: Number(tensor.elementCount),
  };
}
