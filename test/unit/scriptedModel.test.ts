import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama, type Token } from "node-llama-cpp";
import { readGgufHeader } from "../../src/engine/gguf/ggufHeader.ts";
import { summarizeGgufHeader } from "../../src/engine/gguf/ggufMetadata.ts";
import { buildScriptedVocabulary, makeScriptedModel, scriptPieceBytes, type ScriptedModelOptions } from "../fixtures/scriptedModel.ts";

/** "A", "é" as 2 tokens, "中" as 3, "😀" as 1 + 3 bytes, then an ASCII word. */
const pieces = [
  "A",
  Uint8Array.of(0xc3),
  Uint8Array.of(0xa9),
  Uint8Array.of(0xe4),
  Uint8Array.of(0xb8),
  Uint8Array.of(0xad),
  Uint8Array.of(0xf0),
  Uint8Array.of(0x9f, 0x98, 0x80),
  " word",
];
const expectedText = "Aé中😀 word";

describe("the scripted vocabulary", () => {
  test("gives every script position its own token", () => {
    const vocabulary = buildScriptedVocabulary(scriptPieceBytes(pieces));
    assert.equal(new Set(vocabulary.scriptTokenIds).size, pieces.length);
    // One-byte pieces reuse their byte token; longer pieces get new tokens after BOS and EOS.
    assert.deepEqual(vocabulary.scriptTokenIds, [0x41, 0xc3, 0xa9, 0xe4, 0xb8, 0xad, 0xf0, 258, 259]);
    assert.equal(new Set(vocabulary.texts).size, vocabulary.texts.length, "token texts are distinct");
  });

  test("spells a repeated piece a second way, and rejects a third", () => {
    const vocabulary = buildScriptedVocabulary(scriptPieceBytes(["\n", " hi", "\n", " hi"]));
    assert.deepEqual(vocabulary.scriptTokenIds, [0x0a, 258, 259, 260]);
    assert.deepEqual(vocabulary.texts.slice(258), ["Ġhi", "\n", " hi"]);
    assert.throws(() => buildScriptedVocabulary(scriptPieceBytes(["\n", "\n", "\n"])), /repeats too often/);
    assert.throws(() => buildScriptedVocabulary(scriptPieceBytes(["ab", "ab"])), /repeats too often/);
  });
});

describe("makeScriptedModel", () => {
  test("writes a valid model once and reuses it", async () => {
    const path = await makeScriptedModel({ pieces, fileName: "utf8-split" });
    const firstWrite = (await stat(path)).mtimeMs;
    assert.equal(await makeScriptedModel({ pieces, fileName: "utf8-split" }), path);
    assert.equal((await stat(path)).mtimeMs, firstWrite);
    assert.notEqual(await makeScriptedModel({ pieces: ["other"], fileName: "utf8-split" }), path);

    const summary = summarizeGgufHeader(await readGgufHeader(path));
    assert.equal(summary.architecture, "llama");
    assert.equal(summary.vocabularySize, 260);
    assert.equal(summary.contextLength, 256);
  });
});

describe("the scripted model on the real engine", () => {
  let llama: Llama;
  before(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.warn });
  });
  after(async () => {
    await llama.dispose();
  });

  /** Greedy tokens after BOS + `prompt`, up to and including EOS, and their text. */
  async function run(options: ScriptedModelOptions, prompt: string) {
    const model = await llama.loadModel({ modelPath: await makeScriptedModel(options) });
    const context = await model.createContext({ threads: 1, contextSize: 64 });
    try {
      const generated: Token[] = [];
      const input = [model.tokens.bos!, ...model.tokenize(prompt)];
      for await (const token of context.getSequence().evaluate(input, { temperature: 0, yieldEogToken: true })) {
        generated.push(token);
        if (token === model.tokens.eos || generated.length > 40) break;
      }
      return {
        generated,
        eos: model.tokens.eos!,
        text: model.detokenize(generated.filter((token) => token !== model.tokens.eos)),
        tokenTexts: generated.map((token) => model.detokenize([token])),
      };
    } finally {
      await context.dispose();
      await model.dispose();
    }
  }

  test("emits exactly the script, then EOS, and detokenizes to the UTF-8 text", async () => {
    const { scriptTokenIds } = buildScriptedVocabulary(scriptPieceBytes(pieces));
    const { generated, eos, text, tokenTexts } = await run({ pieces, fileName: "utf8-split" }, "hi");
    assert.equal(eos, 257);
    assert.deepEqual(generated, [...scriptTokenIds, eos]);
    assert.equal(text, expectedText);
    // One token of a split character alone is not text: what the streaming hold-back fixes.
    assert.deepEqual(tokenTexts.slice(0, 3), ["A", "\uFFFD", "\uFFFD"]);
    assert.equal(tokenTexts[8], " word");
  });

  test("starts the script whatever the prompt", async () => {
    const { generated, eos } = await run({ pieces, fileName: "utf8-split" }, "The LORD is my shepherd");
    assert.equal(generated.length, pieces.length + 1);
    assert.equal(generated.at(-1), eos);
  });

  test("repeated pieces come out as separate tokens with the same text", async () => {
    const repeated = ["\n", "x", "\n"];
    const { generated, text } = await run({ pieces: repeated, fileName: "repeated" }, "hi");
    // "\n" and "x" reuse their byte tokens; the second "\n" is a USER_DEFINED token.
    assert.deepEqual(generated, [0x0a, 0x78, 258, 257]);
    assert.equal(text, "\nx\n");
  });

  for (const weightType of ["Q8_0", "Q4_0"] as const) {
    test(`the writer's ${weightType} layout is what the engine reads`, async () => {
      // A misplaced scale or nibble would move a one-hot weight and break the chain.
      const { scriptTokenIds } = buildScriptedVocabulary(scriptPieceBytes(pieces));
      const { generated, eos, text } = await run({ pieces, fileName: "utf8-split", weightType }, "hi");
      assert.deepEqual(generated, [...scriptTokenIds, eos]);
      assert.equal(text, expectedText);
    });
  }
});
