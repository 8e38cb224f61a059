/**
 * Mutations of the metadata's form: keys present twice (or tensors named twice), and
 * values stored with a type other than the one the engine reads them with.
 */
import type { GgufMetadataEntryToWrite } from "../gguf/metadataEncoding.js";
import { encodeGgufDocument, type GgufDocument } from "./ggufDocument.js";
import type { MutatedFile } from "./byteMutations.js";
import type { Random } from "./random.js";

export function duplicateKey(document: GgufDocument, random: Random): MutatedFile {
  const choice = random.below(3);
  if (choice === 0) {
    // The same entry twice, the copy placed anywhere, sometimes with another value.
    const entry = random.pick(document.metadata);
    const copy = entry.type === "uint32" && random.chance(0.5) ? { ...entry, value: Number(entry.value) + 1 } : entry;
    document.metadata.splice(random.between(0, document.metadata.length), 0, copy);
    return { bytes: encodeGgufDocument(document).bytes, description: `metadata "${entry.key}" present twice` };
  }
  if (choice === 1) {
    const [first, second] = twoDistinct(document.metadata.length, random);
    const from = document.metadata[second]!.key;
    document.metadata[second] = { ...document.metadata[second]!, key: document.metadata[first]!.key };
    return { bytes: encodeGgufDocument(document).bytes, description: `metadata "${from}" renamed to "${document.metadata[first]!.key}", which exists` };
  }
  const [first, second] = twoDistinct(document.tensors.length, random);
  const from = document.tensors[second]!.name;
  document.tensors[second]!.name = document.tensors[first]!.name;
  return { bytes: encodeGgufDocument(document).bytes, description: `tensor "${from}" renamed to "${document.tensors[first]!.name}", which exists` };
}

function twoDistinct(length: number, random: Random): [number, number] {
  const first = random.below(length);
  const second = (first + random.between(1, length - 1)) % length;
  return [first, second];
}

/** A value re-encoded with another type: what a converter with the wrong table writes. */
export function retypedValue(document: GgufDocument, random: Random): MutatedFile {
  const index = random.below(document.metadata.length);
  const entry = document.metadata[index]!;
  const retyped = retype(entry, random);
  document.metadata[index] = retyped;
  const from = entry.type === "array" ? `array of ${entry.elementType}` : entry.type;
  const to = retyped.type === "array" ? `array of ${retyped.elementType}` : retyped.type;
  return { bytes: encodeGgufDocument(document).bytes, description: `metadata "${entry.key}" stored as ${to} instead of ${from}` };
}

function retype(entry: GgufMetadataEntryToWrite, random: Random): GgufMetadataEntryToWrite {
  const { key } = entry;
  if (entry.type === "array") {
    if (entry.elementType === "string") return { key, type: "array", elementType: "int32", value: entry.value.map((_, index) => index) };
    if (random.chance(0.5)) return { key, type: "array", elementType: "string", value: entry.value.map(String) };
    return { key, type: "array", elementType: "uint8", value: entry.value.map((value) => Math.abs(Math.trunc(Number(value))) % 256 || 0) };
  }
  if (entry.type === "string") return random.chance(0.5) ? { key, type: "uint32", value: entry.value.length } : { key, type: "array", elementType: "string", value: [entry.value] };
  const number = Number(entry.value);
  const integer = Number.isFinite(number) ? Math.trunc(number) : 0;
  switch (random.below(6)) {
    case 0:
      return { key, type: "string", value: String(number) };
    case 1:
      return { key, type: "float32", value: number };
    case 2:
      return { key, type: "int32", value: integer | 0 };
    case 3:
      return { key, type: "uint64", value: BigInt(Math.max(0, integer)) };
    case 4:
      return { key, type: "bool", value: number !== 0 };
    default:
      return { key, type: "uint16", value: Math.max(0, integer) % 65_536 };
  }
}
