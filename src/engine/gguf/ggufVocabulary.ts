/**
 * The tokenizer and vocabulary as llama.cpp reads them (llama-vocab.cpp, v0.5.0 as bundled
 * with node-llama-cpp 3.22.1), checked before it does: the cases below abort the process
 * there instead of failing the load.
 *
 * - `tokenizer.ggml.model` `none` or `no_vocab` loads a model without a tokenizer; the
 *   first tokenize then trips `GGML_ASSERT(tokenizer && "Tokenizer not initialized")`.
 * - `bert` (WordPiece) on a generative model loads, then aborts ("fatal error" in
 *   token_to_byte) the first time a byte token is printed.
 * - Two tokens with the same text as llama.cpp reads it abort it too; that is checked
 *   while the header is read (ggufTokenText.ts, ggufArrayValue.ts).
 */
import { ModelLoadError } from "../../errors.js";
import type { GgufHeader } from "./ggufHeader.js";
import { getMetadataArray, getMetadataString } from "./ggufMetadata.js";
import { describeValue, metadataError } from "./ggufModelErrors.js";

/** Tokenizer models the engine can tokenize and print text with, by `tokenizer.ggml.model`. */
const knownTokenizerModels: ReadonlySet<string> = new Set(["llama", "gpt2", "t5", "rwkv", "plamo2", "gemma4", "hybriddna", "whitespace", "bert"]);

/** Tokenizers that read `tokenizer.ggml.merges` and fail to load without it. */
const mergeTokenizerModels: ReadonlySet<string> = new Set(["gpt2", "gemma4", "hybriddna", "whitespace"]);

/** Encoder architectures, the only ones whose vocabulary is WordPiece (`bert`). */
const wordPieceArchitectures: ReadonlySet<string> = new Set(["bert", "modern-bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3", "eurobert"]);

/**
 * Tokenizer settings and the one type llama.cpp reads each with (`get_key<T>` accepts that
 * type only). A special token id out of range is ignored there, but one of another type
 * fails the load with no reason given.
 */
const tokenizerKeyTypes: ReadonlyMap<string, string> = new Map([
  ...["bos", "eos", "eot", "eom", "unknown", "seperator", "padding", "cls", "mask", "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep", "prefix", "suffix", "middle"].map(
    (name) => [`tokenizer.ggml.${name}_token_id`, "uint32"] as const,
  ),
  ...["add_bos_token", "add_eos_token", "add_sep_token", "add_space_prefix", "remove_extra_whitespaces", "normalizer.lowercase", "normalizer.strip_accents"].map(
    (name) => [`tokenizer.ggml.${name}`, "bool"] as const,
  ),
  ["tokenizer.ggml.pre", "string"],
  ["tokenizer.ggml.token_type_count", "uint32"],
]);

/** Token ids are int32 in the engine's API. */
const maxVocabularySize = 2 ** 31 - 1;

/** Checks the tokenizer model and the arrays that go with it (the token texts are checked while reading). */
export function checkVocabulary(header: GgufHeader): void {
  const key = "tokenizer.ggml.model";
  const model = getMetadataString(header, key);
  if (model === undefined) throw new ModelLoadError(header.path, `missing ${key}: the file has no tokenizer`);
  if (model === "none" || model === "no_vocab") {
    throw metadataError(header, key, `${describeValue(model)} means the model has no vocabulary, so it cannot read or write text`);
  }
  if (!knownTokenizerModels.has(model)) throw metadataError(header, key, `${describeValue(model)} is not a tokenizer the engine knows`);
  if (model === "bert" && !wordPieceArchitectures.has(header.architecture)) {
    throw metadataError(header, key, `"bert" (WordPiece) is an encoder's tokenizer; the engine aborts when a "${header.architecture}" model prints with it`);
  }

  const tokens = getMetadataArray(header, "tokenizer.ggml.tokens");
  if (tokens === undefined) throw new ModelLoadError(header.path, "missing tokenizer.ggml.tokens: the file has no vocabulary");
  if (tokens.elementType !== "string") throw metadataError(header, "tokenizer.ggml.tokens", `should be an array of strings, found an array of ${tokens.elementType}`);
  if (tokens.length === 0 || tokens.length > maxVocabularySize) throw metadataError(header, "tokenizer.ggml.tokens", `has ${tokens.length} tokens (1 to ${maxVocabularySize})`);

  for (const [settingKey, type] of tokenizerKeyTypes) {
    const found = header.metadataTypes.get(settingKey);
    if (found !== undefined && found !== type) {
      throw metadataError(header, settingKey, `is ${describeValue(header.metadata.get(settingKey)!)} of type ${found}, not a ${type}`);
    }
  }
  checkPerTokenArray(header, "tokenizer.ggml.scores", ["float32", "int32"], tokens.length);
  checkPerTokenArray(header, "tokenizer.ggml.token_type", ["int32"], tokens.length);
  if (mergeTokenizerModels.has(model) && getMetadataString(header, "tokenizer.ggml.pre") !== "kimi-k2") {
    const merges = getMetadataArray(header, "tokenizer.ggml.merges");
    if (merges === undefined) throw new ModelLoadError(header.path, `missing tokenizer.ggml.merges, which a "${model}" tokenizer needs`);
    if (merges.elementType !== "string") throw metadataError(header, "tokenizer.ggml.merges", `should be an array of strings, found an array of ${merges.elementType}`);
  }
}

/** An optional array with one entry per token: of an accepted element type, and not shorter than the vocabulary. */
function checkPerTokenArray(header: GgufHeader, key: string, elementTypes: readonly string[], tokenCount: number): void {
  const array = getMetadataArray(header, key);
  if (array === undefined) return;
  if (!elementTypes.includes(array.elementType)) {
    throw metadataError(header, key, `should be an array of ${elementTypes.join(" or ")}, found an array of ${array.elementType}`);
  }
  if (array.length < tokenCount) throw metadataError(header, key, `has ${array.length} entries for ${tokenCount} tokens`);
}
