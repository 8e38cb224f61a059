/**
 * The model-file validator on edited copies of the demo model: one test per crash class
 * found by fuzzing (issue 13), each refusal a ModelLoadError naming the key and the value,
 * and files the engine runs (every layout the validator knows) accepted.
 * test/model/modelFileCrashes.test.ts shows the same files killing the raw engine.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeGguf } from "../../scripts/gguf/writeGguf.ts";
import { readGgufHeader } from "../../src/engine/gguf/ggufHeader.ts";
import { validateGgufModel } from "../../src/engine/gguf/ggufModelValidation.ts";
import { ModelLoadError, defaultModelPath } from "../../src/index.ts";
import { architectureQuirks, makeArchitectureModel } from "../fixtures/architectureModels.ts";
import { makeScriptedModel } from "../fixtures/scriptedModel.ts";
import { removeMetadataEntry, setMetadataEntry, tokensOf, writeEditedDemo, type GgufDocument } from "../helpers/editedModel.ts";

let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), "mullama-validation-"));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function validate(path: string): Promise<void> {
  validateGgufModel(await readGgufHeader(path));
}

let fileNumber = 0;
async function refused(edit: (document: GgufDocument) => void, reason: RegExp): Promise<void> {
  const path = await writeEditedDemo(directory, `edited-${fileNumber++}`, edit);
  await assert.rejects(validate(path), (error: unknown) => {
    assert.ok(error instanceof ModelLoadError, `expected a ModelLoadError, got ${String(error)}`);
    assert.equal(error.path, path);
    assert.match(error.reason, reason);
    return true;
  });
}

const uint32 = (key: string, value: number) => (document: GgufDocument) => setMetadataEntry(document, { key, type: "uint32", value });
const float32 = (key: string, value: number) => (document: GgufDocument) => setMetadataEntry(document, { key, type: "float32", value });

describe("files the engine runs are accepted", () => {
  test("the demo model and the scripted models", async () => {
    await validate(defaultModelPath);
    await validate(await makeScriptedModel({ pieces: ["ok"] }));
  });

  test("a tiny model of every layout the shape checks know", async () => {
    for (const architecture of Object.keys(architectureQuirks)) await validate(await makeArchitectureModel(architecture));
  });

  test("the first file of a split model, which holds only some of the tensors", async () => {
    const firstPart = (document: GgufDocument) => {
      // The last block's nine tensors go to the second file.
      document.tensors = document.tensors.slice(0, -9);
      setMetadataEntry(document, { key: "split.count", type: "uint16", value: 2 });
    };
    await validate(await writeEditedDemo(directory, "split-first", firstPart));
    await refused((document) => void (document.tensors = document.tensors.slice(0, -9)), /^missing tensor "blk.3.attn_norm.weight", which a "llama" model requires$/);
  });

  test("an empty token, and a token with a NUL that collides with nothing", async () => {
    await validate(await writeEditedDemo(directory, "lone-empty", (document) => void (tokensOf(document)[500] = "")));
    await validate(await writeEditedDemo(directory, "lone-nul", (document) => void (tokensOf(document)[500] = "zzq\0tail")));
  });
});

describe("vocabulary entries must be unique as llama.cpp reads them (41 aborts)", () => {
  test("a token cut at its NUL byte equals another token", async () => {
    await refused((document) => {
      const tokens = tokensOf(document);
      tokens[600] = `${tokens[300]}\0b`;
    }, /^malformed header: array "tokenizer.ggml.tokens" has the same text ".*" at indexes 300 and 600 \(llama.cpp cuts token text at the first NUL byte\)$/);
  });

  test("an empty token is renamed [EMPTY_<index>], which another token already is", async () => {
    await refused((document) => {
      const tokens = tokensOf(document);
      tokens[700] = "";
      tokens[400] = "[EMPTY_700]";
    }, /same text "\[EMPTY_700\]" at indexes 400 and 700 \(llama.cpp renames an empty token/);
  });

  test("a token that starts with NUL is empty to llama.cpp", async () => {
    await refused((document) => {
      const tokens = tokensOf(document);
      tokens[800] = "\0abc";
      tokens[900] = "[EMPTY_800]";
    }, /same text "\[EMPTY_800\]" at indexes 800 and 900/);
  });
});

describe("general.alignment must be a power of two of at least 32 (30 aborts)", () => {
  for (const alignment of [1, 2, 4, 8, 16]) {
    test(`alignment ${alignment}`, async () => {
      await refused(uint32("general.alignment", alignment), new RegExp(`general.alignment is ${alignment}, below the 32 bytes the engine needs`));
    });
  }
});

describe("required hyperparameters present (29 aborts)", () => {
  test("llama.attention.head_count removed, or renamed by one flipped bit", async () => {
    await refused((document) => removeMetadataEntry(document, "llama.attention.head_count"), /^missing llama.attention.head_count, which a "llama" model requires$/);
    await refused((document) => {
      document.metadata = document.metadata.map((entry) => (entry.key === "llama.attention.head_count" ? { ...entry, key: "llama.attention.hdad_count" } : entry));
    }, /^missing llama.attention.head_count/);
  });

  test("llama.feed_forward_length removed", async () => {
    await refused((document) => removeMetadataEntry(document, "llama.feed_forward_length"), /^missing llama.feed_forward_length/);
  });

  test("llama.attention.head_count_kv of 0", async () => {
    await refused(uint32("llama.attention.head_count_kv", 0), /^llama.attention.head_count_kv is 0 for layer 0/);
  });
});

describe("norm epsilons finite and above 0 (16 aborts, during the first generation)", () => {
  for (const [value, shown] of [[-1, "-1"], [Number.NEGATIVE_INFINITY, "-Infinity"], [Number.NaN, "NaN"], [0, "0"]] as const) {
    test(`layer_norm_rms_epsilon ${shown}`, async () => {
      const pattern = shown.replace(/[-+]/g, "\\$&");
      await refused(float32("llama.attention.layer_norm_rms_epsilon", value), new RegExp(`^llama.attention.layer_norm_rms_epsilon is ${pattern} \\(must be a finite number above 0\\)$`));
    });
  }

  test("layer_norm_epsilon too, and an epsilon stored as float64", async () => {
    await refused(float32("llama.attention.layer_norm_epsilon", Number.NaN), /^llama.attention.layer_norm_epsilon is NaN/);
    await refused((document) => setMetadataEntry(document, { key: "llama.attention.layer_norm_rms_epsilon", type: "float64", value: 1e-5 }), /is 0.00001 of type float64, not a float32$/);
  });
});

describe("a tokenizer the engine can run (12 aborts)", () => {
  for (const model of ["none", "no_vocab"]) {
    test(`tokenizer.ggml.model "${model}"`, async () => {
      await refused((document) => setMetadataEntry(document, { key: "tokenizer.ggml.model", type: "string", value: model }), new RegExp(`^tokenizer.ggml.model "${model}" means the model has no vocabulary`));
    });
  }

  test(`"bert" on a llama model, an unknown name, and a "gpt2" tokenizer without merges`, async () => {
    const tokenizer = (value: string) => (document: GgufDocument) => setMetadataEntry(document, { key: "tokenizer.ggml.model", type: "string", value });
    await refused(tokenizer("bert"), /^tokenizer.ggml.model "bert" \(WordPiece\) is an encoder's tokenizer/);
    await refused(tokenizer("llamaX"), /^tokenizer.ggml.model "llamaX" is not a tokenizer the engine knows$/);
    await refused(tokenizer("gpt2"), /^missing tokenizer.ggml.merges, which a "gpt2" tokenizer needs$/);
  });
});

describe("block_count and feed_forward_length the engine can build (11 aborts)", () => {
  for (const blocks of [0, 65_535, 2 ** 31]) {
    test(`block_count ${blocks}`, async () => {
      await refused(uint32("llama.block_count", blocks), new RegExp(`^llama.block_count is ${blocks} \\(must be 1 to 512: the engine supports 1 to 512 layers\\)$`));
    });
  }

  test("feed_forward_length 3: not whole quantization blocks", async () => {
    await refused(uint32("llama.feed_forward_length", 3), /^llama.feed_forward_length is 3, not a whole number of Q8_0 blocks of 32 for the rows of tensor "blk.0.ffn_down.weight"$/);
  });

  test("feed_forward_length 1024: whole blocks, but not the tensors' shape", async () => {
    await refused(uint32("llama.feed_forward_length", 1024), /^tensor "blk.0.ffn_gate.weight" has shape \[192, 512\], but the hyperparameters \(llama.embedding_length 192, llama.feed_forward_length 1024\) make it \[192, 1024\]$/);
  });

  test("block_count 3 and 5 against four blocks of tensors", async () => {
    await refused(uint32("llama.block_count", 3), /^tensor "blk.3.attn_norm.weight" belongs to layer 3, but llama.block_count is 3$/);
    await refused(uint32("llama.block_count", 5), /^missing tensor "blk.4.attn_norm.weight"/);
  });
});

describe("context_length fits the engine's 32-bit signed integer", () => {
  test("2^31 (the engine read it back as -2147483648)", async () => {
    await refused(uint32("llama.context_length", 2 ** 31), /^llama.context_length is 2147483648 \(must be 1 to 2147483647: the engine keeps it in a signed 32-bit integer\)$/);
  });

  test("0 and a missing one", async () => {
    await refused(uint32("llama.context_length", 0), /^llama.context_length is 0 /);
    await refused((document) => removeMetadataEntry(document, "llama.context_length"), /^missing llama.context_length, which the engine requires$/);
  });
});

describe("the other assertions llama.cpp makes on hyperparameters", () => {
  test("head counts that do not divide", async () => {
    await refused(uint32("llama.attention.head_count_kv", 4), /^llama.attention.head_count_kv is 4 for layer 0, which does not divide the layer's 6 attention heads$/);
    await refused(uint32("llama.attention.head_count", 5), /does not divide the layer's 5 attention heads|does not divide llama.embedding_length 192/);
  });

  test("expert counts out of step", async () => {
    await refused(uint32("llama.expert_count", 1), /^llama.expert_used_count is 0, but llama.expert_count is 1/);
    await refused(uint32("llama.expert_used_count", 2), /^llama.expert_used_count is 2: more than the 0 experts/);
    await refused(uint32("llama.expert_count", 2000), /^llama.expert_count is 2000 \(must be 0 to 1024\)$/);
  });

  test("an unknown rope scaling type, a NaN rope base, a rope wider than a head or narrower than llama's", async () => {
    await refused((document) => setMetadataEntry(document, { key: "llama.rope.scaling.type", type: "string", value: "bogus" }), /^llama.rope.scaling.type is "bogus" \(known: none, linear, yarn, longrope\)$/);
    await refused(float32("llama.rope.freq_base", Number.NaN), /^llama.rope.freq_base is NaN/);
    await refused(uint32("llama.rope.dimension_count", 64), /^llama.rope.dimension_count is 64, wider than an attention head \(32\)$/);
    await refused(uint32("llama.rope.dimension_count", 16), /^llama.rope.dimension_count is 16, but a "llama" model rotates whole heads of 32$/);
  });

  test("a hyperparameter stored with a type llama.cpp does not read it with", async () => {
    await refused((document) => setMetadataEntry(document, { key: "llama.block_count", type: "int32", value: 4 }), /^llama.block_count is 4 of type int32, not a uint32$/);
    await refused((document) => setMetadataEntry(document, { key: "tokenizer.ggml.eos_token_id", type: "string", value: "2" }), /^tokenizer.ggml.eos_token_id is "2" of type string, not a uint32$/);
  });

  test("a per-layer array of the wrong length", async () => {
    await refused((document) => setMetadataEntry(document, { key: "llama.feed_forward_length", type: "array", elementType: "uint32", value: [512, 512, 512] }), /^llama.feed_forward_length has 3 entries for 4 layers$/);
  });

  test("a vocabulary shorter than the embedding", async () => {
    await refused((document) => {
      document.metadata = document.metadata.map((entry) => (entry.key === "tokenizer.ggml.tokens" && entry.type === "array" ? { ...entry, value: entry.value.slice(0, 1000) } : entry));
      for (const key of ["tokenizer.ggml.scores", "tokenizer.ggml.token_type"]) removeMetadataEntry(document, key);
    }, /^tensor "token_embd.weight" has shape \[192, 1024\], but the hyperparameters \(llama.embedding_length 192, the length of tokenizer.ggml.tokens 1000\) make it \[192, 1000\]$/);
  });

  test("scores shorter than the vocabulary", async () => {
    await refused((document) => {
      document.metadata = document.metadata.map((entry) => (entry.key === "tokenizer.ggml.scores" && entry.type === "array" ? { ...entry, value: entry.value.slice(0, 10) } : entry));
    }, /^tokenizer.ggml.scores has 10 entries for 1024 tokens$/);
  });
});

describe("tensor data packed in header order, as llama.cpp's reader requires", () => {
  test("a tensor whose offset skips ahead", async () => {
    await refused((document) => {
      const tensor = document.tensors[1]!;
      tensor.offset = BigInt(tensor.offset) + 32n;
    }, /^malformed header: the data of tensor "output_norm.weight" starts at offset \d+, but the tensors before it end at \d+/);
  });

  test("a file written with an alignment of 64 is accepted", async () => {
    const path = join(directory, "aligned-64.gguf");
    await writeGguf(path, {
      metadata: [{ key: "general.architecture", type: "string", value: "llama" }, { key: "general.alignment", type: "uint32", value: 64 }],
      tensors: [{ name: "a", dimensions: [3], type: "F32", data: new Float32Array(3) }, { name: "b", dimensions: [5], type: "F32", data: new Float32Array(5) }],
    });
    const header = await readGgufHeader(path);
    assert.deepEqual(header.tensors.map((tensor) => tensor.offset), [0, 64]);
  });
});
