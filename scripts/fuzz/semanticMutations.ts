/**
 * Mutations of a file's meaning: a well-formed GGUF whose hyperparameters, alignment,
 * tokenizer or vocabulary say something the engine cannot run. These are the edits a
 * careless converter or a hostile file makes, and the ones llama.cpp trusts most.
 */
import type { GgufMetadataEntryToWrite } from "../gguf/metadataEncoding.js";
import { encodeGgufDocument, removeMetadataEntry, setMetadataEntry, type GgufDocument } from "./ggufDocument.js";
import type { MutatedFile } from "./byteMutations.js";
import type { Random } from "./random.js";

type Entry = GgufMetadataEntryToWrite;

function architectureOf(document: GgufDocument): string {
  const entry = document.metadata.find((candidate) => candidate.key === "general.architecture");
  return entry?.type === "string" ? entry.value : "llama";
}

function renameEntry(document: GgufDocument, key: string, newKey: string): void {
  document.metadata = document.metadata.map((entry) => (entry.key === key ? { ...entry, key: newKey } : entry));
}

function encoded(document: GgufDocument, description: string): MutatedFile {
  return { bytes: encodeGgufDocument(document).bytes, description };
}

/** A key with one bit of one character flipped: the typo a damaged converter makes. */
function flipOneBit(key: string, random: Random): string {
  const at = random.below(key.length);
  const code = key.charCodeAt(at) ^ (1 << random.below(6));
  return key.slice(0, at) + String.fromCharCode(code === 0 ? 0x5f : code) + key.slice(at + 1);
}

/** One numeric edit of a uint32 hyperparameter, as an entry (possibly of another type). */
function numericEdit(key: string, current: number, random: Random): { entry?: Entry; label: string } {
  switch (random.below(9)) {
    case 0:
      return { label: "missing" };
    case 1:
      return { entry: { key, type: "uint32", value: 0 }, label: "0" };
    case 2:
      return { entry: { key, type: "int32", value: random.pick([-1, -2_147_483_648]) }, label: "negative (int32)" };
    case 3:
      return { entry: { key, type: "float32", value: Number.NaN }, label: "NaN (float32)" };
    case 4: {
      const value = random.pick([65_535, 2 ** 31, 2 ** 32 - 1, 2 ** 24]);
      return { entry: { key, type: "uint32", value }, label: String(value) };
    }
    case 5:
      return { entry: { key, type: "uint32", value: current + 1 }, label: `${current + 1} (one more)` };
    case 6:
      return { entry: { key, type: "uint32", value: Math.max(current - 1, 0) }, label: `${Math.max(current - 1, 0)} (one less)` };
    case 7: {
      const value = random.between(1, 4096);
      return { entry: { key, type: "uint32", value }, label: String(value) };
    }
    default: {
      // A per-layer array, of the wrong length or with a zero in it.
      const length = random.pick([1, 3, 4, 5]);
      const value = Array.from({ length }, (_, index) => (index === length - 1 && random.chance(0.5) ? 0 : current));
      return { entry: { key, type: "array", elementType: "uint32", value }, label: `per-layer array [${value.join(", ")}]` };
    }
  }
}

function numberOf(document: GgufDocument, key: string): number {
  const entry = document.metadata.find((candidate) => candidate.key === key);
  return entry !== undefined && (typeof entry.value === "number" || typeof entry.value === "bigint") ? Number(entry.value) : 0;
}

export function hyperparameter(document: GgufDocument, random: Random): MutatedFile {
  const prefix = architectureOf(document);
  const name = random.pick([
    "context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
    "attention.head_count_kv", "rope.dimension_count", "vocab_size", "attention.key_length",
    "attention.value_length", "expert_count", "expert_used_count", "rope.scaling.type", "rope.freq_base",
  ]);
  const key = `${prefix}.${name}`;
  if (name === "rope.scaling.type") {
    const value = random.pick(["none", "linear", "yarn", "longrope", "bogus", ""]);
    setMetadataEntry(document, { key, type: "string", value });
    return encoded(document, `${key} set to "${value}"`);
  }
  if (name === "rope.freq_base") {
    const value = random.pick([Number.NaN, -1, 0, Number.POSITIVE_INFINITY, 1e30, 500_000]);
    setMetadataEntry(document, { key, type: "float32", value });
    return encoded(document, `${key} set to ${value}`);
  }
  if (random.chance(0.15)) {
    const newKey = flipOneBit(key, random);
    renameEntry(document, key, newKey);
    return encoded(document, `${key} renamed to "${newKey}"`);
  }
  const edit = numericEdit(key, numberOf(document, key), random);
  if (edit.entry === undefined) removeMetadataEntry(document, key);
  else setMetadataEntry(document, edit.entry);
  return encoded(document, `${key} ${edit.label}`);
}

export function epsilon(document: GgufDocument, random: Random): MutatedFile {
  const prefix = architectureOf(document);
  const key = random.chance(0.75) ? `${prefix}.attention.layer_norm_rms_epsilon` : `${prefix}.attention.layer_norm_epsilon`;
  const value = random.pick([-1, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NaN, 0, -0, 1e30, 1e-45, -1e-6, 3.4e38, 1e-5]);
  const type = random.pick(["float32", "float32", "float32", "float64"] as const);
  setMetadataEntry(document, { key, type, value });
  return encoded(document, `${key} set to ${Object.is(value, -0) ? "-0" : value} (${type})`);
}

export function blockCount(document: GgufDocument, random: Random): MutatedFile {
  const key = `${architectureOf(document)}.block_count`;
  const value = random.pick([0, 1, 2, 3, 5, 8, 511, 512, 513, 65_535, 2 ** 31, 2 ** 32 - 1]);
  setMetadataEntry(document, { key, type: "uint32", value });
  return encoded(document, `${key} set to ${value}`);
}

export function feedForward(document: GgufDocument, random: Random): MutatedFile {
  const key = `${architectureOf(document)}.feed_forward_length`;
  if (random.chance(0.2)) {
    const blocks = numberOf(document, `${architectureOf(document)}.block_count`);
    const current = numberOf(document, key);
    const value = Array.from({ length: blocks }, (_, index) => (index === random.below(blocks) ? random.pick([0, 3, current * 2]) : current));
    setMetadataEntry(document, { key, type: "array", elementType: "uint32", value });
    return encoded(document, `${key} set to [${value.join(", ")}]`);
  }
  const value = random.pick([3, 0, 1, 32, 256, 511, 513, 1024, 2 ** 31, 2 ** 32 - 1]);
  setMetadataEntry(document, { key, type: "uint32", value });
  return encoded(document, `${key} set to ${value}`);
}

export function contextLength(document: GgufDocument, random: Random): MutatedFile {
  const key = `${architectureOf(document)}.context_length`;
  const choice = random.below(10);
  const entry: Entry =
    choice === 0
      ? { key, type: "int32", value: -1 }
      : choice === 1
        ? { key, type: "uint64", value: 2n ** 40n }
        : { key, type: "uint32", value: random.pick([0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 4096, 1_000_000, 16]) };
  setMetadataEntry(document, entry);
  return encoded(document, `${key} set to ${entry.value} (${entry.type})`);
}

export function alignment(document: GgufDocument, random: Random): MutatedFile {
  const key = "general.alignment";
  const value = random.pick([1, 2, 4, 8, 16, 1, 2, 4, 8, 16, 0, 3, 24, 33, 64, 2 ** 31]);
  const type = random.chance(0.1) ? random.pick(["int32", "uint64"] as const) : "uint32";
  setMetadataEntry(document, { key, type, value });
  return encoded(document, `${key} set to ${value} (${type})`);
}

export function tokenizerModel(document: GgufDocument, random: Random): MutatedFile {
  const key = "tokenizer.ggml.model";
  if (random.chance(0.08)) {
    removeMetadataEntry(document, key);
    return encoded(document, `${key} missing`);
  }
  const value = random.pick(["none", "no_vocab", "bert", "none", "no_vocab", "bert", "gpt2", "t5", "rwkv", "plamo2", "gemma4", "", "llamaX", "whitespace", "hybriddna", "test"]);
  setMetadataEntry(document, { key, type: "string", value });
  return encoded(document, `${key} set to "${value}"`);
}
