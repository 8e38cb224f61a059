/**
 * Every crash class from issue 13, through real child processes: Model.load in a child
 * refuses each file with a ModelLoadError that names the key, and the child lives on.
 * As a control, the raw engine dies (SIGABRT, with the assertion the issue names) on three
 * of them, one per part of the engine that aborts: the backend's buffers, the graph
 * builder and an operator during the first decode. (test/unit/ggufHeader.test.ts does the
 * same for a duplicate token.) Each death costs a fresh engine, so the control is kept short.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { FuzzJobOutput } from "../../scripts/fuzz/fuzzWorker.ts";
import { runChildJobs } from "../../src/engine/probe/childJobs.ts";
import { Context, ContextError, Model, defaultModelPath } from "../../src/index.ts";
import { removeMetadataEntry, setMetadataEntry, tokensOf, writeEditedDemo, type GgufDocument } from "../helpers/editedModel.ts";

interface CrashClass {
  readonly name: string;
  readonly edit: (document: GgufDocument) => void;
  /** What llama.cpp asserts before it aborts; undefined where the raw control is not run. */
  readonly assertion?: RegExp;
  /** What mullama's refusal says. */
  readonly reason: RegExp;
}

const uint32 = (key: string, value: number) => (document: GgufDocument) => setMetadataEntry(document, { key, type: "uint32", value });
const tokenizer = (value: string) => (document: GgufDocument) => setMetadataEntry(document, { key: "tokenizer.ggml.model", type: "string", value });

const crashClasses: readonly CrashClass[] = [
  {
    name: "duplicate-after-nul",
    edit: (document) => void (tokensOf(document)[600] = `${tokensOf(document)[300]}\0b`),
    reason: /same text .* at indexes 300 and 600 \(llama.cpp cuts token text at the first NUL byte\)/,
  },
  {
    name: "empty-collides",
    edit: (document) => {
      tokensOf(document)[700] = "";
      tokensOf(document)[400] = "[EMPTY_700]";
    },
    reason: /same text "\[EMPTY_700\]" at indexes 400 and 700/,
  },
  // 8 rather than 16: the demo's header ends where padding to 16 happens to land on 32 too.
  { name: "alignment-8", edit: uint32("general.alignment", 8), assertion: /buffer pointer must be aligned/, reason: /general.alignment is 8, below the 32 bytes/ },
  { name: "alignment-16", edit: uint32("general.alignment", 16), reason: /general.alignment is 16, below the 32 bytes/ },
  {
    name: "head-count-missing",
    edit: (document) => removeMetadataEntry(document, "llama.attention.head_count"),
    reason: /^missing llama.attention.head_count/,
  },
  { name: "feed-forward-missing", edit: (document) => removeMetadataEntry(document, "llama.feed_forward_length"), reason: /^missing llama.feed_forward_length/ },
  {
    name: "epsilon-nan",
    edit: (document) => setMetadataEntry(document, { key: "llama.attention.layer_norm_rms_epsilon", type: "float32", value: Number.NaN }),
    assertion: /GGML_ASSERT\(eps >= 0.0f\) failed/,
    reason: /^llama.attention.layer_norm_rms_epsilon is NaN/,
  },
  { name: "epsilon-negative", edit: (document) => setMetadataEntry(document, { key: "llama.attention.layer_norm_rms_epsilon", type: "float32", value: -1 }), reason: /is -1 \(must be a finite number above 0\)/ },
  { name: "tokenizer-no-vocab", edit: tokenizer("no_vocab"), reason: /^tokenizer.ggml.model "no_vocab" means the model has no vocabulary/ },
  { name: "tokenizer-none", edit: tokenizer("none"), reason: /^tokenizer.ggml.model "none"/ },
  { name: "tokenizer-bert", edit: tokenizer("bert"), reason: /^tokenizer.ggml.model "bert" \(WordPiece\)/ },
  { name: "block-count-0", edit: uint32("llama.block_count", 0), reason: /^llama.block_count is 0 / },
  { name: "block-count-65535", edit: uint32("llama.block_count", 65_535), reason: /^llama.block_count is 65535 / },
  { name: "block-count-2^31", edit: uint32("llama.block_count", 2 ** 31), reason: /^llama.block_count is 2147483648 / },
  { name: "feed-forward-3", edit: uint32("llama.feed_forward_length", 3), assertion: /GGML_ASSERT\(!ggml_is_transposed\(a\)\) failed/, reason: /^llama.feed_forward_length is 3, not a whole number of Q8_0 blocks/ },
  { name: "context-length-2^31", edit: uint32("llama.context_length", 2 ** 31), reason: /^llama.context_length is 2147483648 / },
];

const fuzzWorker = fileURLToPath(new URL("../../scripts/fuzz/fuzzWorker.ts", import.meta.url));
const rawEngineWorker = fileURLToPath(new URL("../fixtures/rawEngineWorker.ts", import.meta.url));

let directory: string;
const paths = new Map<string, string>();
before(async () => {
  directory = await mkdtemp(join(tmpdir(), "mullama-crashes-"));
  for (const crash of crashClasses) paths.set(crash.name, await writeEditedDemo(directory, crash.name, crash.edit));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("the crash classes of issue 13", () => {
  test("the raw engine dies on the controls, with the assertion the issue names", async () => {
    const controlled = crashClasses.filter((crash) => crash.assertion !== undefined);
    const results = await runChildJobs({ script: rawEngineWorker, timeoutMs: 20_000, jobs: controlled.map((crash) => ({ id: crash.name, input: { path: paths.get(crash.name) } })) });
    for (const [index, crash] of controlled.entries()) {
      const result = results[index]!;
      assert.equal(result.status, "died", `${crash.name}: ${JSON.stringify(result)}`);
      if (result.status !== "died") continue;
      assert.equal(result.signal, "SIGABRT", crash.name);
      assert.match(result.log, crash.assertion!, crash.name);
    }
  });

  test("Model.load refuses every one with a ModelLoadError naming the key, in one child that survives them all", async () => {
    const results = await runChildJobs({ script: fuzzWorker, timeoutMs: 20_000, jobs: crashClasses.map((crash) => ({ id: crash.name, input: { path: paths.get(crash.name) } })) });
    assert.equal(results.length, crashClasses.length);
    for (const [index, crash] of crashClasses.entries()) {
      const result = results[index]!;
      assert.equal(result.status, "finished", `${crash.name}: ${JSON.stringify(result)}`);
      const output = (result as { output: FuzzJobOutput }).output;
      assert.equal(output.outcome, "refused", `${crash.name}: ${output.detail}`);
      assert.match(output.detail, crash.reason, crash.name);
    }
  });
});

describe("Context.create checks the context size it takes from the model", () => {
  test("a training context that reads back negative is refused before the engine sees it", async () => {
    await using model = await Model.load(defaultModelPath);
    // What the engine reported for a file claiming 2^31 tokens, before validation refused such files.
    (model.metadata as { trainContextSize: number }).trainContextSize = -2_147_483_648;
    await assert.rejects(Context.create(model, { threads: 1 }), (error: unknown) => {
      assert.ok(error instanceof ContextError);
      assert.match(error.message, /training context size \(-2147483648 tokens\) is not a positive integer; pass contextSize/);
      return true;
    });
    await using context = await Context.create(model, { threads: 1, contextSize: 64 });
    assert.equal(context.contextSize, 64);
  });
});
