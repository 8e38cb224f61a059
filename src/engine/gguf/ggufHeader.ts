/**
 * GGUF header validation, done in TypeScript before the engine opens a model file.
 *
 * Why, measured with node-llama-cpp 3.22.1 (whose own TypeScript GGUF parser runs
 * before llama.cpp's):
 * - Some damaged files abort the whole process: a vocabulary with two tokens of the
 *   same text trips a GGML_ASSERT in llama-vocab.cpp (SIGABRT). A server cannot survive
 *   that, so it is checked here (see ggufArrayValue.ts).
 * - The rest are rejected with messages that name no cause: a string length of 2^63
 *   gives `The value of "size" is out of range`, a huge tensor dimension `Cannot mix
 *   BigInt and other types`, an unknown version or a file cut short `Failed to load
 *   model` (the real cause only in the native log). Here each gets a short reason.
 * Native code trusts its inputs, and older llama.cpp releases had out-of-bounds reads in
 * their GGUF parser; a file that fails here never reaches it.
 *
 * The file is read through a file handle in bounded chunks (see GgufByteReader), never
 * whole: only the header, which is at the front, is touched.
 */
import { open, stat, type FileHandle } from "node:fs/promises";
import { ModelLoadError } from "../../errors.js";
import { isSupportedArchitecture } from "./ggufArchitectures.js";
import { GgufByteReader } from "./ggufByteReader.js";
import { alignmentKey, alignOffset, defaultGgufAlignment, ggufMagic, minimumGgufAlignment, supportedGgufVersions, type GgufValueTypeName } from "./ggufFormat.js";
import { isPerLayerHyperparameter } from "./ggufHyperparameters.js";
import { ggufHeaderLimits } from "./ggufLimits.js";
import { placeTensor, readTensorInfo, type GgufTensorInfo, type UnplacedTensorInfo } from "./ggufTensorInfo.js";
import { readKeyValue, type GgufValue } from "./ggufValue.js";

/** A validated GGUF header. */
export interface GgufHeader {
  /** The path the header was read from. */
  readonly path: string;
  /** The GGUF format version: 2 or 3. */
  readonly version: number;
  /** Metadata in file order. Long arrays keep only their length (see ReadGgufHeaderOptions). */
  readonly metadata: ReadonlyMap<string, GgufValue>;
  /**
   * The value type each metadata key was stored with. llama.cpp reads most keys only with
   * one exact type (a uint32 `block_count` stored as an int32 does not load), and numbers
   * alone cannot tell the types apart.
   */
  readonly metadataTypes: ReadonlyMap<string, GgufValueTypeName>;
  readonly tensors: readonly GgufTensorInfo[];
  /** File offset where the tensor data section starts; tensor offsets are relative to it. */
  readonly dataOffset: number;
  /** Alignment of tensor data in bytes, from `general.alignment` (default 32). */
  readonly alignment: number;
  /** Size of the file in bytes. */
  readonly fileSize: number;
  /** `general.architecture`, already checked to be one the engine supports. */
  readonly architecture: string;
}

export interface ReadGgufHeaderOptions {
  /**
   * Keys of arrays whose elements are kept however long they are (for example
   * `"tokenizer.ggml.tokens"`). Arrays of up to 64 elements, and per-layer hyperparameters
   * (up to 512 layers), are always kept; longer ones keep only their length. Defaults to none.
   */
  keepArrayElements?: readonly string[];
  /**
   * The file is a later part of a split set (`-00002-of-00003.gguf`), whose metadata,
   * architecture included, lives in the first part: a missing `general.architecture` is
   * then no fault (`architecture` is ""). Defaults to false.
   */
  splitContinuation?: boolean;
}

/**
 * Reads and validates the header of the GGUF file at `path`.
 * @throws ModelLoadError with a short `reason` when the file is missing, unreadable, not
 * GGUF, truncated, malformed, or of an architecture the engine does not support.
 */
export async function readGgufHeader(path: string, options: ReadGgufHeaderOptions = {}): Promise<GgufHeader> {
  const file = await openRegularFile(path);
  try {
    const { size } = await file.stat();
    if (size === 0) throw new ModelLoadError(path, "empty file");
    const reader = new GgufByteReader(file, size, path);
    const keepElementsOf = new Set(options.keepArrayElements ?? []);
    return await readHeader(reader, path, (key) => keepElementsOf.has(key) || isPerLayerHyperparameter(key), options.splitContinuation ?? false);
  } finally {
    await file.close();
  }
}

async function openRegularFile(path: string): Promise<FileHandle> {
  try {
    // Checked before opening: opening a FIFO would block until someone writes to it.
    const stats = await stat(path);
    if (stats.isDirectory()) throw new ModelLoadError(path, "is a directory, not a file");
    if (!stats.isFile()) throw new ModelLoadError(path, "not a regular file");
    return await open(path, "r");
  } catch (error) {
    if (error instanceof ModelLoadError) throw error;
    throw new ModelLoadError(path, describeOpenError(error), { cause: error });
  }
}

function describeOpenError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") return "file not found";
  if (code === "EACCES" || code === "EPERM") return "permission denied (the file is not readable)";
  if (code === "EISDIR") return "is a directory, not a file";
  return `cannot open the file (${code ?? String(error)})`;
}

async function readHeader(reader: GgufByteReader, path: string, keepElementsOf: (key: string) => boolean, splitContinuation: boolean): Promise<GgufHeader> {
  await checkMagic(reader);
  const version = await readVersion(reader);
  const tensorCount = await readCount(reader, "tensor", ggufHeaderLimits.maxTensorCount);
  const keyValueCount = await readCount(reader, "metadata entry", ggufHeaderLimits.maxKeyValueCount);

  const metadata = new Map<string, GgufValue>();
  const metadataTypes = new Map<string, GgufValueTypeName>();
  let alignment = defaultGgufAlignment;
  for (let index = 0; index < keyValueCount; index++) {
    const { key, type, value } = await readKeyValue(reader, index, keepElementsOf);
    if (metadata.has(key)) reader.fail(`malformed header: duplicate metadata key "${key}"`);
    if (key === alignmentKey) alignment = checkAlignment(reader, type, value);
    metadata.set(key, value);
    metadataTypes.set(key, type);
  }

  const unplaced: UnplacedTensorInfo[] = [];
  const names = new Set<string>();
  for (let index = 0; index < tensorCount; index++) {
    const tensor = await readTensorInfo(reader, index);
    if (names.has(tensor.name)) reader.fail(`malformed header: duplicate tensor name "${tensor.name}"`);
    names.add(tensor.name);
    unplaced.push(tensor);
  }
  const dataOffset = alignOffset(reader.position, alignment);
  let expectedOffset = 0n;
  const tensors = unplaced.map((tensor) => {
    const placed = placeTensor(reader, tensor, dataOffset, alignment, expectedOffset);
    expectedOffset += BigInt(alignOffset(placed.byteSize, alignment));
    return placed;
  });

  const declared = metadata.get("general.architecture");
  const architecture = splitContinuation && declared === undefined ? "" : checkArchitecture(reader, declared);
  return { path, version, metadata, metadataTypes, tensors, dataOffset, alignment, fileSize: reader.fileSize, architecture };
}

async function checkMagic(reader: GgufByteReader): Promise<void> {
  const length = Math.min(ggufMagic.length, reader.fileSize);
  const magic = await reader.bytes(length, "the magic number");
  if (magic.toString("latin1") !== ggufMagic.slice(0, length)) {
    reader.fail(`not a GGUF file (bad magic 0x${magic.toString("hex")}, expected "${ggufMagic}")`);
  }
  if (length < ggufMagic.length) reader.fail("truncated: the file ends inside the magic number");
}

async function readVersion(reader: GgufByteReader): Promise<number> {
  const version = await reader.uint32("the version");
  if (supportedGgufVersions.includes(version)) return version;
  const byteSwapped = Buffer.alloc(4);
  byteSwapped.writeUInt32BE(version);
  if (supportedGgufVersions.includes(byteSwapped.readUInt32LE())) reader.fail("unsupported GGUF version: big-endian files are not supported");
  reader.fail(`unsupported GGUF version ${version} (supported: ${supportedGgufVersions.join(" and ")})`);
}

async function readCount(reader: GgufByteReader, what: string, limit: number): Promise<number> {
  const count = await reader.uint64(`the ${what} count`);
  if (count > BigInt(limit)) reader.fail(`malformed header: ${what} count ${count} is over the limit of ${limit}`);
  return Number(count);
}

function checkAlignment(reader: GgufByteReader, type: string, value: GgufValue): number {
  // llama.cpp accepts only a uint32 here; anything else fails to load there too.
  if (type !== "uint32" || typeof value !== "number") reader.fail(`malformed header: ${alignmentKey} must be a uint32, found ${type}`);
  if (value === 0 || (value & (value - 1)) !== 0) reader.fail(`malformed header: ${alignmentKey} is ${value}, not a power of two`);
  // ggml's CPU buffers assert that every tensor starts on a 32-byte boundary
  // (TENSOR_ALIGNMENT in ggml-impl.h) and abort the process otherwise.
  if (value < minimumGgufAlignment) reader.fail(`malformed header: ${alignmentKey} is ${value}, below the ${minimumGgufAlignment} bytes the engine needs`);
  return value;
}

function checkArchitecture(reader: GgufByteReader, value: GgufValue | undefined): string {
  if (value === undefined) reader.fail("missing general.architecture");
  if (typeof value !== "string") reader.fail("malformed header: general.architecture is not a string");
  if (!isSupportedArchitecture(value)) reader.fail(`unsupported architecture "${value}"`);
  return value;
}
