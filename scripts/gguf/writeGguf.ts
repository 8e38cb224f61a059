/**
 * A small general GGUF writer (version 3, little-endian), used to build test fixtures
 * and benchmark models of realistic shape.
 *
 * Tensor data can be produced lazily, a chunk at a time, and is streamed to disk, so a
 * model of billions of parameters can be written without holding it in memory. The
 * file is written under a temporary name and renamed at the end: a reader never sees a
 * half-written model under the final name.
 *
 * Example:
 *   await writeGguf("tiny.gguf", {
 *     metadata: [{ key: "general.architecture", type: "string", value: "llama" }],
 *     tensors: [{ name: "output_norm.weight", dimensions: [64], type: "F32", data: new Float32Array(64).fill(1) }],
 *   });
 */
import { open, rename, rm } from "node:fs/promises";
import { alignmentKey, alignOffset, currentGgufVersion, defaultGgufAlignment, ggufMagic } from "../../src/engine/gguf/ggufFormat.js";
import { ggufHeaderLimits } from "../../src/engine/gguf/ggufLimits.js";
import { BufferedFileWriter } from "./bufferedFileWriter.js";
import { ByteSink, encodeMetadataEntry, type GgufMetadataEntryToWrite } from "./metadataEncoding.js";
import { encodedByteSize, TensorDataEncoder, writerTensorType, type GgufWriterTensorType } from "./tensorEncoding.js";

export type { GgufMetadataEntryToWrite } from "./metadataEncoding.js";
export type { GgufWriterTensorType } from "./tensorEncoding.js";

/**
 * A tensor's values in row-major order (`dimensions[0]` varies fastest): all at once, or a
 * function returning chunks of any length, for tensors too big to hold in memory.
 */
export type TensorValues = Float32Array | (() => Iterable<Float32Array> | AsyncIterable<Float32Array>);

export interface GgufTensorToWrite {
  /** At most 63 bytes (ggml's name limit). */
  readonly name: string;
  /** ggml order: `dimensions[0]` is the row length; for Q8_0 and Q4_0 a multiple of 32. 1 to 4 entries. */
  readonly dimensions: readonly number[];
  readonly type: GgufWriterTensorType;
  readonly data: TensorValues;
}

export interface GgufFileToWrite {
  /** Written in this order. A uint32 `general.alignment` entry sets the alignment (default 32). */
  readonly metadata: readonly GgufMetadataEntryToWrite[];
  /** Written in this order, each at the next aligned offset. */
  readonly tensors: readonly GgufTensorToWrite[];
}

export interface GgufWriteResult {
  /** Size of the written file in bytes. */
  readonly fileSize: number;
  /** File offset of the tensor data section. */
  readonly dataOffset: number;
}

interface PlannedTensor {
  readonly tensor: GgufTensorToWrite;
  readonly elementCount: number;
  readonly offset: number;
}

/** Writes a GGUF version 3 file at `path`, replacing any file there. */
export async function writeGguf(path: string, contents: GgufFileToWrite): Promise<GgufWriteResult> {
  const alignment = alignmentOf(contents.metadata);
  const planned = planTensors(contents.tensors, alignment);
  const header = encodeHeader(contents.metadata, planned);
  const dataOffset = alignOffset(header.length, alignment);

  const partialPath = `${path}.${process.pid}.partial`;
  const file = await open(partialPath, "w");
  try {
    const writer = new BufferedFileWriter(file);
    await writer.write(header);
    for (const { tensor, elementCount, offset } of planned) {
      await writer.padTo(dataOffset + offset);
      await writeTensorData(writer, tensor, elementCount);
    }
    // llama.cpp's own writer pads after the last tensor too.
    await writer.padTo(alignOffset(writer.position, alignment));
    await writer.flush();
    await file.close();
    await rename(partialPath, path);
    return { fileSize: writer.position, dataOffset };
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partialPath, { force: true });
    throw error;
  }
}

function alignmentOf(metadata: readonly GgufMetadataEntryToWrite[]): number {
  const entry = metadata.find((candidate) => candidate.key === alignmentKey);
  if (entry === undefined) return defaultGgufAlignment;
  const value = Number(entry.value);
  if (entry.type !== "uint32" || value === 0 || (value & (value - 1)) !== 0) {
    throw new RangeError(`${alignmentKey} must be a uint32 power of two`);
  }
  return value;
}

function planTensors(tensors: readonly GgufTensorToWrite[], alignment: number): PlannedTensor[] {
  const names = new Set<string>();
  let nextOffset = 0;
  return tensors.map((tensor) => {
    checkTensor(tensor, names);
    names.add(tensor.name);
    const elementCount = tensor.dimensions.reduce((product, size) => product * size, 1);
    const offset = alignOffset(nextOffset, alignment);
    nextOffset = offset + encodedByteSize(tensor.type, elementCount);
    return { tensor, elementCount, offset };
  });
}

function checkTensor(tensor: GgufTensorToWrite, names: ReadonlySet<string>): void {
  const label = `tensor "${tensor.name}"`;
  if (Buffer.byteLength(tensor.name) > ggufHeaderLimits.maxTensorNameLength) throw new RangeError(`${label}: the name is longer than 63 bytes`);
  if (names.has(tensor.name)) throw new RangeError(`${label}: duplicate name`);
  const { dimensions } = tensor;
  if (dimensions.length < 1 || dimensions.length > ggufHeaderLimits.maxDimensions) throw new RangeError(`${label}: needs 1 to 4 dimensions`);
  if (!dimensions.every((size) => Number.isSafeInteger(size) && size > 0)) throw new RangeError(`${label}: dimensions must be positive integers`);
  const { blockSize } = writerTensorType(tensor.type);
  if (dimensions[0]! % blockSize !== 0) throw new RangeError(`${label}: rows of ${dimensions[0]} are not a multiple of the ${tensor.type} block size ${blockSize}`);
}

function encodeHeader(metadata: readonly GgufMetadataEntryToWrite[], planned: readonly PlannedTensor[]): Buffer {
  const sink = new ByteSink();
  sink.push(Buffer.from(ggufMagic, "latin1"));
  sink.uint32(currentGgufVersion);
  sink.uint64(planned.length);
  sink.uint64(metadata.length);
  for (const entry of metadata) encodeMetadataEntry(sink, entry);
  for (const { tensor, offset } of planned) {
    sink.string(tensor.name);
    sink.uint32(tensor.dimensions.length);
    for (const size of tensor.dimensions) sink.uint64(size);
    sink.uint32(writerTensorType(tensor.type).id);
    sink.uint64(offset);
  }
  return sink.toBuffer();
}

async function writeTensorData(writer: BufferedFileWriter, tensor: GgufTensorToWrite, elementCount: number): Promise<void> {
  const encoder = new TensorDataEncoder(tensor.type);
  const chunks = typeof tensor.data === "function" ? tensor.data() : [tensor.data];
  for await (const chunk of chunks) {
    if (encoder.elementCount + chunk.length > elementCount) {
      throw new RangeError(`tensor "${tensor.name}": the data has more than the ${elementCount} values its dimensions hold`);
    }
    await writer.write(encoder.encode(chunk));
  }
  if (encoder.elementCount !== elementCount) {
    throw new RangeError(`tensor "${tensor.name}": the data has ${encoder.elementCount} values, its dimensions need ${elementCount}`);
  }
  encoder.finish();
}
