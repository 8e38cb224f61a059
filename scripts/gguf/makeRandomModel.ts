/**
 * Llama-architecture GGUF models with random weights at realistic shapes, for speed
 * measurements: decode and prompt speed depend on the shape and the storage type, not on
 * what the weights mean. Files are generated on demand into bench/models/ (gitignored),
 * cached by shape, type and generator version, and never committed.
 *
 * Making the comparison fair: random weights could emit EOS at any step, and the two
 * sides of a benchmark must produce the same number of tokens. The output matrix rows of
 * the control tokens (BOS, EOS) are all zero, so their logit is exactly 0 whatever the
 * hidden state, while the largest of ~32k random logits is positive with overwhelming
 * probability. Under greedy sampling (what every benchmark uses, on both sides) EOS is
 * therefore never picked and every run generates exactly the requested tokens.
 *
 * The vocabulary is byte-level BPE ("gpt2", no merges): 256 byte tokens plus distinct
 * random words, every text unique (llama.cpp aborts the process on duplicates).
 * Benchmarks pass prompts as token ids, so tokenization never matters.
 *
 * Usage: `node --import tsx scripts/gguf/makeRandomModel.ts [shape ...]` (all shapes by default).
 */
import { access, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { writeGguf, type GgufMetadataEntryToWrite, type GgufTensorToWrite, type GgufWriterTensorType } from "./writeGguf.js";

export interface RandomModelShape {
  /** Used in the file name. */
  readonly name: string;
  readonly vocabularySize: number;
  /** Embedding width; a multiple of 32 and of the head count. */
  readonly width: number;
  readonly blocks: number;
  readonly heads: number;
  /** Fewer than `heads` means grouped-query attention. */
  readonly kvHeads: number;
  readonly feedForward: number;
  readonly contextLength: number;
  /** Storage type of every matrix (like `llama-quantize --pure`); norms stay F32. */
  readonly type: Extract<GgufWriterTensorType, "F16" | "Q8_0" | "Q4_0">;
}

/** The benchmark sizes. Shapes follow published small Llama-style models (32k vocabulary). */
export const randomModelShapes = {
  /** llama2.c "stories110M" shape: 12 x 768, feed-forward 2048, untied output: 134M parameters. */
  "llama-134m-q8_0": { name: "llama-134m-q8_0", vocabularySize: 32_000, width: 768, blocks: 12, heads: 12, kvHeads: 12, feedForward: 2048, contextLength: 2048, type: "Q8_0" },
  /** 24 x 1024, 16 heads with 4 KV heads, feed-forward 4864: 487M parameters. */
  "llama-487m-q4_0": { name: "llama-487m-q4_0", vocabularySize: 32_000, width: 1024, blocks: 24, heads: 16, kvHeads: 4, feedForward: 4864, contextLength: 2048, type: "Q4_0" },
  "llama-487m-q8_0": { name: "llama-487m-q8_0", vocabularySize: 32_000, width: 1024, blocks: 24, heads: 16, kvHeads: 4, feedForward: 4864, contextLength: 2048, type: "Q8_0" },
} as const satisfies Record<string, RandomModelShape>;

export type RandomModelShapeName = keyof typeof randomModelShapes;

/** Bump when the generated file changes, so cached files are not reused. */
const generatorVersion = 1;

const defaultDirectory = fileURLToPath(new URL("../../bench/models/", import.meta.url));

/** Number of parameters (weights) of a shape. */
export function parameterCount(shape: RandomModelShape): number {
  const headLength = shape.width / shape.heads;
  const kvWidth = headLength * shape.kvHeads;
  const attention = 2 * shape.width * shape.width + 2 * shape.width * kvWidth;
  const feedForward = 3 * shape.width * shape.feedForward;
  const perBlock = attention + feedForward + 2 * shape.width;
  return 2 * shape.vocabularySize * shape.width + shape.blocks * perBlock + shape.width;
}

/**
 * Writes the model for `shape` into `directory` unless it is already there, and returns
 * its path. Tensor data is produced a few rows at a time and streamed to disk.
 */
export async function makeRandomModel(shape: RandomModelShape, directory: string = defaultDirectory): Promise<string> {
  const path = `${directory.replace(/\/?$/, "/")}${shape.name}-${shapeKey(shape)}.gguf`;
  if (await exists(path)) return path;
  await mkdir(directory, { recursive: true });
  await writeGguf(path, { metadata: randomModelMetadata(shape), tensors: randomModelTensors(shape) });
  return path;
}

/** A short key of everything that changes the file, so a changed shape never reuses a stale file. */
function shapeKey(shape: RandomModelShape): string {
  const text = `v${generatorVersion}:${shape.vocabularySize}:${shape.width}:${shape.blocks}:${shape.heads}:${shape.kvHeads}:${shape.feedForward}:${shape.contextLength}:${shape.type}`;
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** `llama_ftype` of each matrix type. */
const fileTypes = { F16: 1, Q8_0: 7, Q4_0: 2 } as const;
/** llama.cpp token types. */
const TokenType = { normal: 1, control: 3 } as const;
const byteTokenCount = 256;
export const randomModelBosTokenId = 256;
export const randomModelEosTokenId = 257;

function randomModelMetadata(shape: RandomModelShape): GgufMetadataEntryToWrite[] {
  const headLength = shape.width / shape.heads;
  const texts = randomVocabulary(shape.vocabularySize);
  const types = texts.map((_, id) => (id === randomModelBosTokenId || id === randomModelEosTokenId ? TokenType.control : TokenType.normal));
  const u32 = (key: string, value: number): GgufMetadataEntryToWrite => ({ key, type: "uint32", value });
  return [
    { key: "general.architecture", type: "string", value: "llama" },
    { key: "general.name", type: "string", value: `mullama-random-${shape.name}` },
    u32("general.file_type", fileTypes[shape.type]),
    u32("llama.context_length", shape.contextLength),
    u32("llama.embedding_length", shape.width),
    u32("llama.block_count", shape.blocks),
    u32("llama.feed_forward_length", shape.feedForward),
    u32("llama.attention.head_count", shape.heads),
    u32("llama.attention.head_count_kv", shape.kvHeads),
    u32("llama.rope.dimension_count", headLength),
    { key: "llama.rope.freq_base", type: "float32", value: 10_000 },
    { key: "llama.attention.layer_norm_rms_epsilon", type: "float32", value: 1e-5 },
    u32("llama.vocab_size", shape.vocabularySize),
    { key: "tokenizer.ggml.model", type: "string", value: "gpt2" },
    { key: "tokenizer.ggml.pre", type: "string", value: "gpt-2" },
    { key: "tokenizer.ggml.tokens", type: "array", elementType: "string", value: texts },
    { key: "tokenizer.ggml.token_type", type: "array", elementType: "int32", value: types },
    { key: "tokenizer.ggml.merges", type: "array", elementType: "string", value: [] },
    u32("tokenizer.ggml.bos_token_id", randomModelBosTokenId),
    u32("tokenizer.ggml.eos_token_id", randomModelEosTokenId),
    { key: "tokenizer.ggml.add_bos_token", type: "bool", value: true },
    { key: "tokenizer.ggml.add_eos_token", type: "bool", value: false },
  ];
}

function randomModelTensors(shape: RandomModelShape): GgufTensorToWrite[] {
  const { width, vocabularySize, type } = shape;
  const kvWidth = (width / shape.heads) * shape.kvHeads;
  let seed = 1;
  // ggml order: [row length, rows]. Each matrix gets its own stream of random values.
  const matrix = (name: string, rowLength: number, rows: number, zeroRows: readonly number[] = []): GgufTensorToWrite => ({
    name,
    dimensions: [rowLength, rows],
    type,
    data: randomRows(rowLength, rows, 1 / Math.sqrt(rowLength), seed++, zeroRows),
  });
  const norm = (name: string): GgufTensorToWrite => ({ name, dimensions: [width], type: "F32", data: new Float32Array(width).fill(1) });
  const tensors = [
    matrix("token_embd.weight", width, vocabularySize),
    norm("output_norm.weight"),
    // Zero rows: the control tokens' logits are exactly 0, below the largest random logit.
    matrix("output.weight", width, vocabularySize, [randomModelBosTokenId, randomModelEosTokenId]),
  ];
  for (let block = 0; block < shape.blocks; block++) {
    const prefix = `blk.${block}.`;
    tensors.push(
      norm(`${prefix}attn_norm.weight`),
      matrix(`${prefix}attn_q.weight`, width, width),
      matrix(`${prefix}attn_k.weight`, width, kvWidth),
      matrix(`${prefix}attn_v.weight`, width, kvWidth),
      matrix(`${prefix}attn_output.weight`, width, width),
      norm(`${prefix}ffn_norm.weight`),
      matrix(`${prefix}ffn_gate.weight`, width, shape.feedForward),
      matrix(`${prefix}ffn_up.weight`, width, shape.feedForward),
      matrix(`${prefix}ffn_down.weight`, shape.feedForward, width),
    );
  }
  return tensors;
}

/** About this many values per chunk handed to the writer: memory stays flat whatever the model size. */
const valuesPerChunk = 1 << 20;

/** Uniform values in [-scale, scale) from a xorshift32 stream, a few rows at a time. */
function randomRows(rowLength: number, rows: number, scale: number, seed: number, zeroRows: readonly number[]): () => Iterable<Float32Array> {
  return function* () {
    let state = (seed * 0x9e3779b9) >>> 0 || 1;
    const rowsPerChunk = Math.max(1, Math.floor(valuesPerChunk / rowLength));
    const zero = new Set(zeroRows);
    for (let firstRow = 0; firstRow < rows; firstRow += rowsPerChunk) {
      const chunkRows = Math.min(rowsPerChunk, rows - firstRow);
      const chunk = new Float32Array(chunkRows * rowLength);
      for (let index = 0; index < chunk.length; index++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        chunk[index] = ((state >>> 0) / 2 ** 31 - 1) * scale;
      }
      for (let row = firstRow; row < firstRow + chunkRows; row++) {
        if (zero.has(row)) chunk.fill(0, (row - firstRow) * rowLength, (row - firstRow + 1) * rowLength);
      }
      yield chunk;
    }
  };
}

/**
 * Token texts in GPT-2's byte-level alphabet: the 256 single bytes, BOS, EOS, then
 * distinct random lowercase words, half with a leading space ("Ġ"), 2 to 8 letters.
 */
export function randomVocabulary(size: number): string[] {
  const texts: string[] = [];
  for (let byte = 0; byte < byteTokenCount; byte++) texts.push(byteLevelCharacter(byte));
  texts.push("<|startoftext|>", "<|endoftext|>");
  const seen = new Set(texts);
  let state = 0x2545f491;
  const next = (limit: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % limit;
  };
  while (texts.length < size) {
    let word = next(2) === 0 ? "Ġ" : "";
    const length = 2 + next(7);
    for (let letter = 0; letter < length; letter++) word += String.fromCharCode(0x61 + next(26));
    if (seen.has(word)) continue;
    seen.add(word);
    texts.push(word);
  }
  return texts;
}

/**
 * GPT-2's `bytes_to_unicode()`: printable Latin-1 bytes stand for themselves, the other
 * 68 bytes take the code points from U+0100 upwards, in byte order.
 */
function byteLevelCharacter(byte: number): string {
  const printable = (value: number) => (value >= 0x21 && value <= 0x7e) || (value >= 0xa1 && value <= 0xac) || (value >= 0xae && value <= 0xff);
  if (printable(byte)) return String.fromCharCode(byte);
  let unprintableBefore = 0;
  for (let value = 0; value < byte; value++) if (!printable(value)) unprintableBefore++;
  return String.fromCodePoint(0x100 + unprintableBefore);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(randomModelShapes);
  for (const name of names) {
    const shape = randomModelShapes[name as RandomModelShapeName];
    if (shape === undefined) throw new Error(`unknown shape "${name}"; known: ${Object.keys(randomModelShapes).join(", ")}`);
    const started = performance.now();
    const path = await makeRandomModel(shape);
    process.stdout.write(`${path} (${(parameterCount(shape) / 1e6).toFixed(0)}M parameters, ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}
