import assert from "node:assert/strict";
import { access, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  dequantizeQ4_0Block,
  dequantizeQ8_0Block,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  quantizeQ4_0Block,
  quantizeQ8_0Block,
} from "../../scripts/gguf/quantize.ts";
import { writeGguf, type GgufMetadataEntryToWrite, type GgufTensorToWrite } from "../../scripts/gguf/writeGguf.ts";
import { readGgufHeader } from "../../src/engine/gguf/ggufHeader.ts";
import { getMetadataArray } from "../../src/engine/gguf/ggufMetadata.ts";

let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), "mullama-writer-"));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("float16", () => {
  test("rounds to nearest, ties to even, like the F16C instruction", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff],
      [65520, 0x7c00], // halfway to the next step rounds up into infinity
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // tie, rounds to the even mantissa
      [1 + 3 * 2 ** -11, 0x3c02], // tie, rounds up to the even mantissa
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal
      [3 * 2 ** -25, 0x0002],
      [2 ** -14, 0x0400], // smallest normal
    ];
    for (const [value, bits] of cases) assert.equal(float32ToFloat16Bits(value), bits, `f16(${value})`);
    assert.equal(float32ToFloat16Bits(NaN) & 0x7e00, 0x7e00);
  });

  test("converts back exactly", () => {
    for (const bits of [0x0000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x3555, 0x7bff, 0xc000]) {
      assert.equal(float32ToFloat16Bits(float16BitsToFloat32(bits)), bits);
    }
    assert.equal(float16BitsToFloat32(0x7c00), Infinity);
  });
});

describe("quantizers", () => {
  test("Q8_0 stores d = max|x| / 127 and round(x / d)", () => {
    const values = Float32Array.from({ length: 32 }, (_, index) => index - 16);
    const block = Buffer.alloc(34);
    quantizeQ8_0Block(values, 0, block, 0);
    assert.equal(block.readUInt16LE(0), float32ToFloat16Bits(16 / 127));
    assert.equal(block.readInt8(2), -127);
    assert.equal(block.readInt8(2 + 16), 0);
    assert.equal(block.readInt8(2 + 31), Math.round((15 * 127) / 16));
    const scale = float16BitsToFloat32(block.readUInt16LE(0));
    dequantizeQ8_0Block(block, 0).forEach((value, index) => assert.ok(Math.abs(value - values[index]!) <= scale / 2 + 1e-3));
  });

  test("Q4_0 packs elements 0..15 in the low nibbles and 16..31 in the high ones", () => {
    // -8..7 then 7..-8: the first -8 is the value of largest magnitude, so d = -8 / -8 = 1.
    const values = Float32Array.from({ length: 32 }, (_, index) => (index < 16 ? index - 8 : 23 - index));
    const block = Buffer.alloc(18);
    quantizeQ4_0Block(values, 0, block, 0);
    assert.equal(float16BitsToFloat32(block.readUInt16LE(0)), 1);
    for (let index = 0; index < 16; index++) assert.equal(block[2 + index], index | ((15 - index) << 4), `byte ${index}`);
    assert.deepEqual([...dequantizeQ4_0Block(block, 0)], [...values]);
  });

  test("Q8_0 matches the quantizer that made the bundled model, byte for byte", async () => {
    // Quantizing the values a Q8_0 block stands for must give that block back.
    const path = fileURLToPath(new URL("../../models/kjv-tiny-q8_0.gguf", import.meta.url));
    const header = await readGgufHeader(path);
    const file = await readFile(path);
    let blocks = 0;
    for (const tensor of header.tensors.filter((candidate) => candidate.type === "Q8_0")) {
      for (let at = header.dataOffset + tensor.offset; at < header.dataOffset + tensor.offset + tensor.byteSize; at += 34) {
        const requantized = Buffer.alloc(34);
        quantizeQ8_0Block(dequantizeQ8_0Block(file, at), 0, requantized, 0);
        assert.ok(requantized.equals(file.subarray(at, at + 34)), `block at byte ${at} of ${tensor.name}`);
        blocks++;
      }
    }
    assert.equal(blocks, 61_440);
  });

  test("an all-zero block has scale 0 and decodes to zeros", () => {
    const zeros = new Float32Array(32);
    const q8 = Buffer.alloc(34);
    quantizeQ8_0Block(zeros, 0, q8, 0);
    assert.deepEqual([...dequantizeQ8_0Block(q8, 0)], [...zeros]);
    const q4 = Buffer.alloc(18);
    quantizeQ4_0Block(zeros, 0, q4, 0);
    assert.deepEqual([...dequantizeQ4_0Block(q4, 0)].map(Math.abs), [...zeros]);
  });
});

const metadata: GgufMetadataEntryToWrite[] = [
  { key: "general.architecture", type: "string", value: "llama" },
  { key: "general.alignment", type: "uint32", value: 64 },
  { key: "test.text", type: "string", value: "grüße 中 😀" },
  { key: "test.flag", type: "bool", value: true },
  { key: "test.uint8", type: "uint8", value: 255 },
  { key: "test.int8", type: "int8", value: -128 },
  { key: "test.uint16", type: "uint16", value: 65535 },
  { key: "test.int16", type: "int16", value: -32768 },
  { key: "test.int32", type: "int32", value: -5 },
  { key: "test.float32", type: "float32", value: 0.5 },
  { key: "test.float64", type: "float64", value: Math.PI },
  { key: "test.uint64", type: "uint64", value: 2n ** 64n - 1n },
  { key: "test.int64", type: "int64", value: -42 },
  { key: "test.short", type: "array", elementType: "int32", value: [1, -2, 3] },
  { key: "test.words", type: "array", elementType: "string", value: ["a", "", "ü"] },
  { key: "test.long", type: "array", elementType: "float32", value: Array.from({ length: 100 }, (_, index) => index) },
];

/** Deterministic values in [-1, 1). */
function sampleValues(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, index) => Math.sin(index * 12.9898 + seed) % 1);
}

/** Yields `values` in chunks of 7, which never line up with the 32-value blocks. */
function* inChunksOfSeven(values: Float32Array): Generator<Float32Array> {
  for (let start = 0; start < values.length; start += 7) yield values.subarray(start, start + 7);
}

describe("writeGguf", () => {
  const f32 = sampleValues(3 * 5, 1);
  const f16 = sampleValues(10 * 2, 2);
  const q8 = sampleValues(64 * 3, 3);
  const q4 = sampleValues(32 * 4, 4);
  const tensors: GgufTensorToWrite[] = [
    { name: "plain", dimensions: [3, 5], type: "F32", data: f32 },
    { name: "half", dimensions: [10, 2], type: "F16", data: () => inChunksOfSeven(f16) },
    {
      name: "eight-bit",
      dimensions: [64, 3],
      type: "Q8_0",
      data: async function* () {
        yield* inChunksOfSeven(q8);
      },
    },
    { name: "four-bit", dimensions: [32, 2, 2], type: "Q4_0", data: q4 },
  ];

  test("writes a file the header reader reads back", async () => {
    const path = join(directory, "round-trip.gguf");
    const result = await writeGguf(path, { metadata, tensors });
    const header = await readGgufHeader(path);
    assert.equal(header.version, 3);
    assert.equal(header.alignment, 64);
    assert.equal(header.fileSize, result.fileSize);
    assert.equal(header.dataOffset, result.dataOffset);
    assert.equal(header.fileSize % 64, 0);

    for (const entry of metadata) {
      const value = header.metadata.get(entry.key);
      if (entry.type !== "array") {
        const expected = entry.type === "int64" ? -42 : entry.value;
        assert.deepEqual(value, expected, entry.key);
      }
    }
    assert.deepEqual(getMetadataArray(header, "test.short")?.elements, [1, -2, 3]);
    assert.deepEqual(getMetadataArray(header, "test.words")?.elements, ["a", "", "ü"]);
    const long = getMetadataArray(header, "test.long")!;
    assert.equal(long.length, 100);
    assert.equal(long.elements, undefined);

    assert.deepEqual(
      header.tensors.map(({ name, dimensions, type, byteSize }) => ({ name, dimensions, type, byteSize })),
      [
        { name: "plain", dimensions: [3, 5], type: "F32", byteSize: 60 },
        { name: "half", dimensions: [10, 2], type: "F16", byteSize: 40 },
        { name: "eight-bit", dimensions: [64, 3], type: "Q8_0", byteSize: 6 * 34 },
        { name: "four-bit", dimensions: [32, 2, 2], type: "Q4_0", byteSize: 4 * 18 },
      ],
    );
    for (const tensor of header.tensors) assert.equal(tensor.offset % 64, 0, tensor.name);
  });

  test("stores the values: F32 exactly, the rest within their precision", async () => {
    const path = join(directory, "values.gguf");
    await writeGguf(path, { metadata, tensors });
    const header = await readGgufHeader(path);
    const file = await readFile(path);
    const bytesOf = (name: string) => {
      const tensor = header.tensors.find((candidate) => candidate.name === name)!;
      const start = header.dataOffset + tensor.offset;
      return file.subarray(start, start + tensor.byteSize);
    };
    const plain = bytesOf("plain");
    assert.deepEqual([...f32], Array.from({ length: 15 }, (_, index) => plain.readFloatLE(index * 4)));
    const half = bytesOf("half");
    f16.forEach((value, index) => assert.equal(half.readUInt16LE(index * 2), float32ToFloat16Bits(value)));
    const eight = bytesOf("eight-bit");
    for (let block = 0; block < 6; block++) {
      dequantizeQ8_0Block(eight, block * 34).forEach((value, index) => assert.ok(Math.abs(value - q8[block * 32 + index]!) < 1 / 127 + 1e-3));
    }
    const four = bytesOf("four-bit");
    for (let block = 0; block < 4; block++) {
      dequantizeQ4_0Block(four, block * 18).forEach((value, index) => assert.ok(Math.abs(value - q4[block * 32 + index]!) <= 1 / 8 + 1e-3));
    }
  });

  test("chunked data gives the same bytes as data given at once", async () => {
    const eager = join(directory, "eager.gguf");
    const lazy = join(directory, "lazy.gguf");
    const base = { name: "weights", dimensions: [64, 3], type: "Q8_0" } as const;
    await writeGguf(eager, { metadata: metadata.slice(0, 1), tensors: [{ ...base, data: q8 }] });
    await writeGguf(lazy, { metadata: metadata.slice(0, 1), tensors: [{ ...base, data: () => inChunksOfSeven(q8) }] });
    assert.deepEqual(await readFile(lazy), await readFile(eager));
  });

  test("rejects data that does not match the dimensions, leaving no file behind", async () => {
    const path = join(directory, "short-data.gguf");
    const tensor = { name: "weights", dimensions: [32, 2], type: "Q8_0", data: new Float32Array(32) } as const;
    await assert.rejects(writeGguf(path, { metadata: metadata.slice(0, 1), tensors: [tensor] }), /has 32 values, its dimensions need 64/);
    await assert.rejects(access(path));
    assert.deepEqual((await readdir(directory)).filter((name) => name.includes("partial")), []);
  });

  test("rejects rows that are not whole blocks and names longer than ggml allows", async () => {
    const path = join(directory, "bad-shape.gguf");
    const ragged = { name: "ragged", dimensions: [20, 2], type: "Q4_0", data: new Float32Array(40) } as const;
    await assert.rejects(writeGguf(path, { metadata: [], tensors: [ragged] }), /rows of 20 are not a multiple of the Q4_0 block size 32/);
    const longName = { name: "x".repeat(64), dimensions: [1], type: "F32", data: new Float32Array(1) } as const;
    await assert.rejects(writeGguf(path, { metadata: [], tensors: [longName] }), /longer than 63 bytes/);
  });
});
