import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as engine from "node-llama-cpp";
import { readGgufFileInfo } from "node-llama-cpp";
import { writeGguf } from "../../scripts/gguf/writeGguf.ts";
import { ModelLoadError } from "../../src/errors.ts";
import { supportedArchitectures } from "../../src/engine/gguf/ggufArchitectures.ts";
import { ggmlTypes } from "../../src/engine/gguf/ggufFormat.ts";
import { readGgufHeader } from "../../src/engine/gguf/ggufHeader.ts";
import { getMetadataArray, getMetadataNumber, getMetadataString, summarizeGgufHeader } from "../../src/engine/gguf/ggufMetadata.ts";

const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));
const realModelPath = join(repositoryRoot, "models/kjv-tiny-q8_0.gguf");

let directory: string;
let realModel: Buffer;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), "mullama-gguf-"));
  realModel = await readFile(realModelPath);
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Writes a damaged copy of the real model and returns its path. */
async function damagedCopy(name: string, damage: (bytes: Buffer) => Buffer | void): Promise<string> {
  const bytes = Buffer.from(realModel);
  const path = join(directory, `${name}.gguf`);
  await writeFile(path, damage(bytes) ?? bytes);
  return path;
}

/** Offset just past the first occurrence of `text` in the real model (a key or a tensor name). */
function offsetAfter(text: string): number {
  const at = realModel.indexOf(text);
  assert.ok(at > 0, `"${text}" is in the model`);
  return at + text.length;
}

async function rejectsWith(path: string, reason: RegExp): Promise<void> {
  await assert.rejects(readGgufHeader(path), (error: unknown) => {
    assert.ok(error instanceof ModelLoadError, `expected a ModelLoadError, got ${String(error)}`);
    assert.equal(error.code, "MODEL_LOAD_FAILED");
    assert.equal(error.path, path);
    assert.match(error.reason, reason);
    return true;
  });
}

describe("readGgufHeader on the bundled model", () => {
  test("reads version, metadata and every tensor", async () => {
    const header = await readGgufHeader(realModelPath);
    assert.equal(header.version, 3);
    assert.equal(header.architecture, "llama");
    assert.equal(header.alignment, 32);
    assert.equal(header.fileSize, realModel.length);
    assert.equal(header.dataOffset % 32, 0);
    assert.equal(header.tensors.length, 39);
    assert.equal(getMetadataString(header, "general.name"), "kjv-tiny");
    assert.equal(getMetadataNumber(header, "llama.context_length"), 256);
    assert.equal(getMetadataNumber(header, "tokenizer.ggml.eos_token_id"), 2);
    assert.equal(header.metadata.get("tokenizer.ggml.add_bos_token"), true);

    const embedding = header.tensors.find((tensor) => tensor.name === "token_embd.weight");
    assert.deepEqual(embedding, {
      name: "token_embd.weight",
      dimensions: [192, 1024],
      type: "Q8_0",
      typeId: 8,
      offset: 0,
      byteSize: (192 * 1024 * 34) / 32,
      elementCount: 192 * 1024,
    });
    const last = header.tensors.at(-1)!;
    assert.ok(header.dataOffset + last.offset + last.byteSize <= header.fileSize);
  });

  test("summarizes the model", async () => {
    const summary = summarizeGgufHeader(await readGgufHeader(realModelPath));
    assert.deepEqual(summary, {
      architecture: "llama",
      name: "kjv-tiny",
      parameterCount: 1_967_808,
      quantization: "Q8_0",
      contextLength: 256,
      vocabularySize: 1024,
      chatTemplate: undefined,
    });
  });

  test("keeps long arrays as a length unless asked for their elements", async () => {
    const lean = await readGgufHeader(realModelPath);
    const tokens = getMetadataArray(lean, "tokenizer.ggml.tokens")!;
    assert.equal(tokens.length, 1024);
    assert.equal(tokens.elementType, "string");
    assert.equal(tokens.elements, undefined);

    const full = await readGgufHeader(realModelPath, { keepArrayElements: ["tokenizer.ggml.tokens"] });
    const elements = getMetadataArray(full, "tokenizer.ggml.tokens")!.elements!;
    assert.equal(elements.length, 1024);
    assert.deepEqual(elements.slice(0, 4), ["<unk>", "<s>", "</s>", "<0x00>"]);
  });

  test("agrees with node-llama-cpp's own parser on every tensor", async () => {
    const header = await readGgufHeader(realModelPath);
    const info = await readGgufFileInfo(realModelPath, { readTensorInfo: true });
    const theirs = (info.fullTensorInfo ?? []).map((tensor) => ({
      name: tensor.name,
      dimensions: tensor.dimensions.map(Number),
      typeId: tensor.ggmlType as number,
      offset: Number(tensor.offset),
    }));
    const ours = header.tensors.map(({ name, dimensions, typeId, offset }) => ({ name, dimensions, typeId, offset }));
    assert.deepEqual(ours, theirs);
  });

  test("a wrongly typed metadata value is reported, not coerced", async () => {
    const header = await readGgufHeader(realModelPath);
    assert.throws(() => getMetadataString(header, "llama.context_length"), (error: unknown) => {
      assert.ok(error instanceof ModelLoadError);
      assert.match(error.reason, /"llama.context_length" should be a string, found a number/);
      return true;
    });
  });
});

describe("readGgufHeader rejects damaged or wrong files with a reason", () => {
  test("a missing file", async () => {
    await rejectsWith(join(directory, "no-such-model.gguf"), /^file not found$/);
  });

  test("a directory", async () => {
    const path = join(directory, "a-directory.gguf");
    await mkdir(path);
    await rejectsWith(path, /^is a directory, not a file$/);
  });

  test("an unreadable file", async (context) => {
    if (process.getuid?.() === 0) return context.skip("root can read any file");
    const path = await damagedCopy("unreadable", () => undefined);
    await chmod(path, 0o000);
    await rejectsWith(path, /^permission denied/);
  });

  test("an empty file", async () => {
    await rejectsWith(await damagedCopy("empty", () => Buffer.alloc(0)), /^empty file$/);
  });

  test("a file that is not GGUF", async () => {
    const path = await damagedCopy("elf", () => Buffer.from("\x7fELF and then some more bytes", "latin1"));
    await rejectsWith(path, /^not a GGUF file \(bad magic 0x7f454c46, expected "GGUF"\)$/);
  });

  test("a file shorter than the magic", async () => {
    await rejectsWith(await damagedCopy("three-bytes", () => Buffer.from("GGU")), /^truncated: the file ends inside the magic number$/);
  });

  test("GGUF version 1 and version 99", async () => {
    const version1 = await damagedCopy("version-1", (bytes) => void bytes.writeUInt32LE(1, 4));
    await rejectsWith(version1, /^unsupported GGUF version 1 \(supported: 2 and 3\)$/);
    const version99 = await damagedCopy("version-99", (bytes) => void bytes.writeUInt32LE(99, 4));
    await rejectsWith(version99, /^unsupported GGUF version 99 /);
  });

  test("a big-endian file", async () => {
    const path = await damagedCopy("big-endian", (bytes) => void bytes.writeUInt32BE(3, 4));
    await rejectsWith(path, /big-endian files are not supported/);
  });

  test("a file cut in the middle of the metadata", async () => {
    // Byte 10,000 lies inside the token list, which starts near byte 300.
    const path = await damagedCopy("cut-in-metadata", (bytes) => bytes.subarray(0, 10_000));
    await rejectsWith(path, /^truncated: the file ends inside an element of array "tokenizer.ggml.tokens"$/);
  });

  test("a file cut in the middle of the tensor data", async () => {
    const path = await damagedCopy("cut-in-data", (bytes) => bytes.subarray(0, 1_500_000));
    await rejectsWith(path, /^truncated: the data of tensor "blk.2.ffn_up.weight" would end at byte \d+, but the file has 1500000 bytes$/);
  });

  test("a string length of 2^63", async () => {
    // The first entry is general.architecture; its value's length follows key and type.
    const valueLength = offsetAfter("general.architecture") + 4;
    const path = await damagedCopy("string-length", (bytes) => void bytes.writeBigUInt64LE(1n << 63n, valueLength));
    await rejectsWith(path, /^malformed header: string length 9223372036854775808 of the value of "general.architecture" is over the limit/);
  });

  test("an array that claims 2^62 elements", async () => {
    const count = offsetAfter("tokenizer.ggml.tokens") + 8;
    const path = await damagedCopy("array-count", (bytes) => void bytes.writeBigUInt64LE(1n << 62n, count));
    await rejectsWith(path, /^malformed header: array "tokenizer.ggml.tokens" claims 4611686018427387904 elements, over the limit/);
  });

  test("a tensor count and a metadata count of 2^40", async () => {
    const tensors = await damagedCopy("tensor-count", (bytes) => void bytes.writeBigUInt64LE(1n << 40n, 8));
    await rejectsWith(tensors, /^malformed header: tensor count 1099511627776 is over the limit/);
    const entries = await damagedCopy("entry-count", (bytes) => void bytes.writeBigUInt64LE(1n << 40n, 16));
    await rejectsWith(entries, /^malformed header: metadata entry count 1099511627776 is over the limit/);
  });

  test("a tensor with 9 dimensions", async () => {
    const dimensionCount = offsetAfter("token_embd.weight");
    const path = await damagedCopy("nine-dimensions", (bytes) => void bytes.writeUInt32LE(9, dimensionCount));
    await rejectsWith(path, /^malformed header: tensor "token_embd.weight" has 9 dimensions \(at most 4\)$/);
  });

  test("a tensor dimension of 0 and one of 2^62", async () => {
    const firstDimension = offsetAfter("token_embd.weight") + 4;
    const zero = await damagedCopy("zero-dimension", (bytes) => void bytes.writeBigUInt64LE(0n, firstDimension));
    await rejectsWith(zero, /^malformed header: tensor "token_embd.weight" has a dimension of size 0$/);
    const huge = await damagedCopy("huge-dimension", (bytes) => void bytes.writeBigUInt64LE(1n << 62n, firstDimension));
    await rejectsWith(huge, /^malformed header: tensor "token_embd.weight" has too many elements/);
  });

  test("rows that are not whole quantization blocks", async () => {
    const firstDimension = offsetAfter("token_embd.weight") + 4;
    const path = await damagedCopy("partial-block", (bytes) => void bytes.writeBigUInt64LE(100n, firstDimension));
    await rejectsWith(path, /^malformed header: tensor "token_embd.weight" has rows of 100 elements, not a multiple of the Q8_0 block size 32$/);
  });

  test("an unknown tensor type", async () => {
    // name, dimension count (4), two dimensions (16), then the type.
    const type = offsetAfter("token_embd.weight") + 4 + 16;
    const path = await damagedCopy("unknown-type", (bytes) => void bytes.writeUInt32LE(77, type));
    await rejectsWith(path, /^malformed header: tensor "token_embd.weight" has unknown tensor type 77$/);
  });

  test("a tensor offset that is not aligned", async () => {
    // token_embd.weight is the first tensor, at offset 0.
    const offset = offsetAfter("token_embd.weight") + 4 + 16 + 4;
    const path = await damagedCopy("unaligned", (bytes) => void bytes.writeBigUInt64LE(3n, offset));
    await rejectsWith(path, /^malformed header: the data offset 3 of tensor "token_embd.weight" is not a multiple of the alignment 32$/);
  });

  test("an unknown architecture", async () => {
    const architecture = offsetAfter("general.architecture") + 4 + 8;
    const path = await damagedCopy("unknown-architecture", (bytes) => void bytes.write("lxama", architecture, "latin1"));
    await rejectsWith(path, /^unsupported architecture "lxama"$/);
  });

  test("a missing architecture", async () => {
    const path = join(directory, "no-architecture.gguf");
    await writeGguf(path, { metadata: [{ key: "general.name", type: "string", value: "nameless" }], tensors: [] });
    await rejectsWith(path, /^missing general.architecture$/);
  });

  test("a vocabulary with two tokens of the same text", async () => {
    const path = await damagedCopy("duplicate-token", (bytes) => void bytes.write("<0x00>", bytes.indexOf("<0x01>"), "latin1"));
    await rejectsWith(path, /^malformed header: array "tokenizer.ggml.tokens" has the same text "<0x00>" at indexes 3 and 4$/);
  });
});

describe("why the validator exists", () => {
  // With node-llama-cpp 3.22.1 most damaged headers only make the engine reject with an
  // unhelpful message ("The value of "size" is out of range", "Failed to load model").
  // A vocabulary with a repeated token text is worse: llama.cpp's GGML_ASSERT in
  // llama-vocab.cpp aborts the whole process, which a server cannot survive.
  test("the engine aborts the process on a duplicate token text; the validator rejects it", async () => {
    const path = await damagedCopy("duplicate-token-engine", (bytes) => void bytes.write("<0x00>", bytes.indexOf("<0x01>"), "latin1"));
    // A script file rather than `node -e`: the engine re-runs the entry script to test its binary.
    const script = join(directory, "load-with-engine.mjs");
    await writeFile(
      script,
      `import { getLlama } from ${JSON.stringify(import.meta.resolve("node-llama-cpp"))};
       const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
       await llama.loadModel({ modelPath: process.argv[2] }).catch(() => console.log("rejected"));
       console.log("survived");`,
    );
    const { NODE_TEST_CONTEXT: _testRunnerMarker, ...environment } = process.env;
    const child = spawnSync(process.execPath, [script, path], { env: environment, encoding: "utf8", timeout: 60_000 });
    assert.equal(child.signal, "SIGABRT", `the child exited with ${child.status}: ${child.stdout}${child.stderr}`);
    assert.doesNotMatch(child.stdout, /survived/);
    assert.match(child.stderr, /GGML_ASSERT\(id_to_token.size\(\) == token_to_id.size\(\)\) failed/);
    await rejectsWith(path, /same text "<0x00>"/);
  });
});

describe("the format tables match the installed engine", () => {
  test("every architecture node-llama-cpp knows is accepted", () => {
    // GgufArchitectureType is a const enum in the typings but a real object at run time.
    const names = Object.values((engine as unknown as Record<string, Record<string, string>>)["GgufArchitectureType"]!);
    const missing = names.filter((name) => name !== "(unknown)" && name !== "clip" && !supportedArchitectures.has(name));
    assert.deepEqual(missing, []);
  });

  test("tensor type ids carry node-llama-cpp's names", () => {
    const engineNames = engine.GgmlType as unknown as Record<number, string>;
    for (const type of ggmlTypes) assert.equal(engineNames[type.id], type.name, `type id ${type.id}`);
  });
});
