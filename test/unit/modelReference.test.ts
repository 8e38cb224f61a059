import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../src/errors.ts";
import { modelReference, parseModelReference, storeNameOf } from "../../src/store/modelReference.ts";
import { directoryNameOf } from "../../src/store/ModelStore.ts";
import { fileMatchesTag, preferredQuantization, quantizationOfFileName } from "../../src/store/quantization.ts";
import { ggufStem, splitSetOf } from "../../src/store/splitFiles.ts";

const nameOf = (text: string) => storeNameOf(modelReference(text));

test("Hugging Face references in every spelling map to one store name", () => {
  assert.equal(nameOf("hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  assert.equal(nameOf("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:q4_k_m"), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  assert.equal(nameOf("huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  assert.equal(nameOf("hf:user/repo/sub/model-Q8_0.gguf"), "hf.co/user/repo/sub/model-Q8_0.gguf");
  // Without a tag (or with Ollama's :latest) the name waits for the default to be chosen.
  assert.equal(nameOf("hf:user/repo"), undefined);
  assert.deepEqual(modelReference("hf.co/user/repo:latest"), { kind: "hugging-face", user: "user", repository: "repo", file: undefined, quantization: undefined });
});

test("any part of a split set names the whole set, by its first part", () => {
  const reference = modelReference("hf:user/repo/Q4_K_M/model-Q4_K_M-00002-of-00003.gguf");
  assert.equal(reference.kind === "hugging-face" && reference.file, "Q4_K_M/model-Q4_K_M-00001-of-00003.gguf");
  assert.deepEqual(splitSetOf("a/m-00003-of-00003.gguf")?.parts, ["a/m-00001-of-00003.gguf", "a/m-00002-of-00003.gguf", "a/m-00003-of-00003.gguf"]);
  assert.equal(splitSetOf("m-00004-of-00003.gguf"), undefined);
  assert.equal(splitSetOf("m-00001-of-00001.gguf"), undefined);
  assert.equal(ggufStem("dir/m-Q8_0-00002-of-00005.gguf"), "m-Q8_0");
});

test("URLs: https anywhere, http only to loopback, a .gguf file name, no credentials in the URL", () => {
  assert.equal(nameOf("https://example.com/models/tiny.gguf?download=true"), "example.com/models/tiny.gguf");
  assert.equal(nameOf("http://127.0.0.1:8080/tiny.gguf"), "127.0.0.1:8080/tiny.gguf");
  assert.equal(nameOf("http://[::1]:8080/tiny.gguf"), "[::1]:8080/tiny.gguf");
  const invalid = (text: string, pattern: RegExp) => assert.throws(() => modelReference(text), (error: unknown) => error instanceof InvalidArgumentError && error.argument === "reference" && pattern.test(error.message));
  invalid("http://example.com/tiny.gguf", /only for loopback/);
  invalid("https://example.com/tiny.bin", /\.gguf/);
  invalid("https://user:secret@example.com/tiny.gguf", /user name or password/);
  invalid("hf:onlyuser", /<user>\/<repo>/);
  invalid("hf:user/repo/../../etc/passwd.gguf", /'\.\.'/);
  invalid("hf:user/repo/readme.md", /\.gguf/);
  invalid("hf:user/repo:Q4 K", /tag/);
  invalid("models/tiny.gguf", /not a model reference/);
});

test("text that is not a reference is left to paths and store names", () => {
  assert.equal(parseModelReference("./models/kjv-tiny-q8_0.gguf"), undefined);
  assert.equal(parseModelReference("/abs/model.gguf"), undefined);
  assert.equal(parseModelReference("127.0.0.1:8080/tiny.gguf"), undefined);
});

test("store names become one safe directory name each, one to one", () => {
  assert.equal(directoryNameOf("hf.co/user/repo:Q4_K_M"), "hf.co%2Fuser%2Frepo%3AQ4_K_M");
  assert.equal(directoryNameOf(".."), "%2E.");
  assert.equal(directoryNameOf(".partial"), "%2Epartial");
  assert.notEqual(directoryNameOf("a/b"), directoryNameOf("a%2Fb"));
  assert.equal(directoryNameOf("ü"), "%C3%BC");
});

test("quantizations are read from file names, matched by tag, and chosen by default Q4_K_M first", () => {
  assert.equal(quantizationOfFileName("Llama-3.2-1B-Instruct-Q4_K_M.gguf"), "Q4_K_M");
  assert.equal(quantizationOfFileName("model.q8_0.gguf"), "Q8_0");
  assert.equal(quantizationOfFileName("Q4_K_M/Model-Q4_K_M-00001-of-00002.gguf"), "Q4_K_M");
  assert.equal(quantizationOfFileName("gemma-2b-it-IQ4_XS.gguf"), "IQ4_XS");
  assert.equal(quantizationOfFileName("model.gguf"), undefined);
  assert.ok(fileMatchesTag("Model-UD-Q4_K_XL.gguf", "UD-Q4_K_XL"));
  assert.ok(fileMatchesTag("Model-UD-Q4_K_XL.gguf", "q4_k_xl"));
  assert.ok(!fileMatchesTag("Model-Q4_K_M.gguf", "K_M"));
  assert.ok(!fileMatchesTag("Model-IQ4_XS.gguf", "Q4_XS"));
  assert.equal(preferredQuantization(["Q8_0", "Q4_K_M", "F16"]), "Q4_K_M");
  assert.equal(preferredQuantization(["Q8_0", "F16"]), "Q8_0");
  assert.equal(preferredQuantization(["Q5_K_M", "Q4_K_S"]), "Q4_K_S");
  assert.equal(preferredQuantization(["Q9_UNKNOWN"]), "Q9_UNKNOWN");
  assert.equal(preferredQuantization([]), undefined);
});
