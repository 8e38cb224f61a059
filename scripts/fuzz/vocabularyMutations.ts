/**
 * Vocabulary mutations: token lists whose entries collide once llama.cpp has read them
 * (it keeps a token's text only up to its first NUL byte and renames an empty token
 * `[EMPTY_<id>]`), lists out of step with their scores and types, and special token ids
 * outside the vocabulary.
 */
import type { GgufMetadataEntryToWrite } from "../gguf/metadataEncoding.js";
import { encodeGgufDocument, setMetadataEntry, type GgufDocument } from "./ggufDocument.js";
import type { MutatedFile } from "./byteMutations.js";
import type { Random } from "./random.js";

type ArrayEntry = Extract<GgufMetadataEntryToWrite, { type: "array" }>;

function arrayEntry(document: GgufDocument, key: string): ArrayEntry | undefined {
  const entry = document.metadata.find((candidate) => candidate.key === key);
  return entry?.type === "array" ? entry : undefined;
}

/** Replaces an array entry's elements (entries are read-only records; the document's list is not). */
function replaceElements(document: GgufDocument, entry: ArrayEntry, value: ArrayEntry["value"]): void {
  document.metadata[document.metadata.indexOf(entry)] = { ...entry, value };
}

export function vocabulary(document: GgufDocument, random: Random): MutatedFile {
  const tokens = arrayEntry(document, "tokenizer.ggml.tokens");
  if (tokens === undefined) throw new Error("the base model has no tokenizer.ggml.tokens");
  const texts = tokens.value as string[];
  const count = texts.length;
  // Indexes from 3 on: ids 0-2 are <unk>, <s>, </s>, which the engine treats specially.
  const index = random.between(3, count - 1);
  let other = random.between(3, count - 1);
  if (other === index) other = index === 3 ? 4 : 3;
  const shown = (text: string) => JSON.stringify(text);
  let description: string;
  switch (random.below(9)) {
    case 0:
      texts[index] = texts[other]!;
      description = `token ${index} set to a copy of token ${other} ${shown(texts[other]!)}`;
      break;
    case 1:
      texts[index] = `${texts[other]}\0${random.pick(["x", "tail", "\0"])}`;
      description = `token ${index} set to token ${other} ${shown(texts[other]!)} plus a NUL and more bytes`;
      break;
    case 2:
      texts[index] = "";
      texts[other] = `[EMPTY_${index}]`;
      description = `token ${index} emptied and token ${other} set to "[EMPTY_${index}]"`;
      break;
    case 3:
      texts[index] = `\0${texts[index]}`;
      texts[other] = `[EMPTY_${index}]`;
      description = `token ${index} starts with a NUL and token ${other} is "[EMPTY_${index}]"`;
      break;
    case 4:
      texts[index] = "";
      description = `token ${index} emptied`;
      break;
    case 5:
      texts[index] = `${texts[index]}\0`;
      description = `token ${index} ends with a NUL byte`;
      break;
    case 6: {
      const key = random.pick(["tokenizer.ggml.scores", "tokenizer.ggml.token_type"]);
      const entry = arrayEntry(document, key);
      const cut = random.between(0, count - 1);
      if (entry !== undefined) replaceElements(document, entry, entry.value.slice(0, cut));
      description = `${key} cut to ${entry === undefined ? 0 : cut} of ${count} entries`;
      break;
    }
    case 7: {
      const cut = random.between(1, count - 1);
      replaceElements(document, tokens, texts.slice(0, cut));
      description = `tokenizer.ggml.tokens cut to ${cut} of ${count} entries (tensors keep ${count} rows)`;
      break;
    }
    default: {
      const key = random.pick(["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id"]);
      const value = random.pick([count, count + 1, 2 ** 31, 2 ** 32 - 1]);
      const entry: GgufMetadataEntryToWrite = random.chance(0.3) ? { key, type: "int32", value: -1 } : { key, type: "uint32", value };
      setMetadataEntry(document, entry);
      description = `${key} set to ${entry.value} (${entry.type})`;
    }
  }
  return { bytes: encodeGgufDocument(document).bytes, description };
}
