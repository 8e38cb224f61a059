/**
 * Turns float values into the bytes of a tensor type, chunk by chunk.
 *
 * Values arrive in chunks of any length (a generator can produce a multi-gigabyte tensor
 * a few rows at a time); an incomplete block is held back until the next chunk, so the
 * output is the same however the values were cut.
 */
import { ggmlTypeByName, type GgmlTypeInfo } from "../../src/engine/gguf/ggufFormat.js";
import { endianness } from "node:os";
import { float32ToFloat16Bits, quantizeQ4_0Block, quantizeQ8_0Block } from "./quantize.js";

/** The tensor types the writer can produce. */
export type GgufWriterTensorType = "F32" | "F16" | "Q8_0" | "Q4_0";

export function writerTensorType(type: GgufWriterTensorType): GgmlTypeInfo {
  return ggmlTypeByName(type)!;
}

/** Bytes a tensor of `elementCount` values occupies in `type`. */
export function encodedByteSize(type: GgufWriterTensorType, elementCount: number): number {
  const info = writerTensorType(type);
  return (elementCount / info.blockSize) * info.bytesPerBlock;
}

/** F32 data can be copied as is where the machine's byte order is the file's. */
const littleEndianHost = endianness() === "LE";

type BlockEncoder = (values: Float32Array, start: number, output: Buffer, at: number) => void;

const blockEncoders: Record<GgufWriterTensorType, BlockEncoder> = {
  F32: (values, start, output, at) => output.writeFloatLE(values[start]!, at),
  F16: (values, start, output, at) => output.writeUInt16LE(float32ToFloat16Bits(values[start]!), at),
  Q8_0: quantizeQ8_0Block,
  Q4_0: quantizeQ4_0Block,
};

export class TensorDataEncoder {
  readonly #info: GgmlTypeInfo;
  readonly #encodeBlock: BlockEncoder;
  /** Values of an incomplete block carried over to the next chunk. */
  #pending = new Float32Array(0);
  /** Values encoded so far, including pending ones. */
  elementCount = 0;

  constructor(type: GgufWriterTensorType) {
    this.#info = writerTensorType(type);
    this.#encodeBlock = blockEncoders[type];
  }

  /** Encodes every complete block available after adding `chunk`. */
  encode(chunk: Float32Array): Buffer {
    this.elementCount += chunk.length;
    const values = this.#pending.length === 0 ? chunk : concatenate(this.#pending, chunk);
    const { blockSize, bytesPerBlock } = this.#info;
    const blockCount = Math.floor(values.length / blockSize);
    this.#pending = values.slice(blockCount * blockSize);
    if (this.#info.name === "F32" && littleEndianHost) return Buffer.from(values.slice(0, blockCount).buffer);
    const output = Buffer.allocUnsafe(blockCount * bytesPerBlock);
    for (let block = 0; block < blockCount; block++) this.#encodeBlock(values, block * blockSize, output, block * bytesPerBlock);
    return output;
  }

  /** Throws when the values ended in the middle of a block. */
  finish(): void {
    if (this.#pending.length !== 0) {
      throw new RangeError(`${this.#pending.length} values are left over, not a whole ${this.#info.name} block of ${this.#info.blockSize}`);
    }
  }
}

function concatenate(first: Float32Array, second: Float32Array): Float32Array {
  const joined = new Float32Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}
