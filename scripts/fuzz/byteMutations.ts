/**
 * Mutations of the encoded bytes: flipped bits, cut files, and header fields overwritten
 * in place (lengths, counts, type ids, tensor offsets and shapes). They model damage in
 * transit or on disk, and hand-made files that lie about their own structure.
 */
import type { GgufLayout } from "./ggufDocument.js";
import type { Random } from "./random.js";

/** What a mutation produced: the file's bytes and a short description for reports. */
export interface MutatedFile {
  readonly bytes: Buffer;
  readonly description: string;
}

/** The original encoding a byte mutation starts from; `bytes` is copied before patching. */
export interface EncodedOriginal {
  readonly bytes: Buffer;
  readonly layout: GgufLayout;
}

const hugeValues = [2n ** 64n - 1n, 2n ** 63n, 2n ** 63n - 1n, 2n ** 62n, 2n ** 40n, 2n ** 32n, 2n ** 32n - 1n, 2n ** 31n, 2n ** 31n - 1n];

function patched(original: EncodedOriginal, patch: (bytes: Buffer) => void): Buffer {
  const bytes = Buffer.from(original.bytes);
  patch(bytes);
  return bytes;
}

export function flipHeaderBits(original: EncodedOriginal, random: Random): MutatedFile {
  const flips = Array.from({ length: random.between(1, 8) }, () => random.below(original.layout.headerEnd * 8));
  const bytes = patched(original, (target) => {
    for (const bit of flips) target[bit >> 3]! ^= 1 << (bit & 7);
  });
  return { bytes, description: `flipped header bits ${flips.map((bit) => `${bit >> 3}.${bit & 7}`).join(", ")}` };
}

export function truncate(original: EncodedOriginal, random: Random): MutatedFile {
  const { headerEnd } = original.layout;
  const end = random.chance(0.7) ? random.below(headerEnd) : random.between(headerEnd, original.bytes.length - 1);
  return { bytes: original.bytes.subarray(0, end), description: `cut at byte ${end} of ${original.bytes.length}` };
}

/** A string length (a key, a string value, a tensor name, a token) set to a huge or slightly wrong value. */
export function hugeLength(original: EncodedOriginal, random: Random): MutatedFile {
  const { layout } = original;
  const fields: { at: number; what: string }[] = [
    ...layout.entries.map((entry) => ({ at: entry.keyLengthAt, what: `the key length of "${entry.key}"` })),
    ...layout.entries.filter((entry) => original.bytes.readUInt32LE(entry.typeAt) === 8).map((entry) => ({ at: entry.valueAt, what: `the value length of "${entry.key}"` })),
    ...layout.entries
      .filter((entry) => entry.arrayLengthAt !== undefined && original.bytes.readUInt32LE(entry.valueAt) === 8)
      .map((entry) => ({ at: entry.arrayLengthAt! + 8, what: `the first element length of "${entry.key}"` })),
    ...layout.tensors.map((tensor) => ({ at: tensor.nameLengthAt, what: `the name length of tensor "${tensor.name}"` })),
  ];
  const field = random.pick(fields);
  const current = original.bytes.readBigUInt64LE(field.at);
  const value = random.chance(0.6) ? random.pick(hugeValues) : current + BigInt(random.pick([1, 7, 64, 4096, 1 << 20]));
  return { bytes: patched(original, (bytes) => bytes.writeBigUInt64LE(value, field.at)), description: `${field.what} set to ${value}` };
}

/** The tensor count, the entry count or an array length set to a huge or slightly wrong value. */
export function hugeCount(original: EncodedOriginal, random: Random): MutatedFile {
  const { layout } = original;
  const fields: { at: number; what: string }[] = [
    { at: layout.tensorCountAt, what: "the tensor count" },
    { at: layout.entryCountAt, what: "the metadata entry count" },
    ...layout.entries.filter((entry) => entry.arrayLengthAt !== undefined).map((entry) => ({ at: entry.arrayLengthAt!, what: `the length of array "${entry.key}"` })),
  ];
  const field = random.pick(fields);
  const current = original.bytes.readBigUInt64LE(field.at);
  const choices = [...hugeValues, current + 1n, current * 2n, current > 0n ? current - 1n : 0n, 1_000_000n, 0n];
  const value = random.pick(choices);
  return { bytes: patched(original, (bytes) => bytes.writeBigUInt64LE(value, field.at)), description: `${field.what} set to ${value}` };
}

/** A metadata value type id (or an array's element type id) overwritten in place. */
export function rawWrongType(original: EncodedOriginal, random: Random): MutatedFile {
  const entry = random.pick(original.layout.entries);
  const elementType = entry.arrayLengthAt !== undefined && random.chance(0.5);
  const at = elementType ? entry.valueAt : entry.typeAt;
  const value = random.chance(0.85) ? random.below(13) : random.pick([13, 255, 0xffff_ffff]);
  const what = elementType ? `the element type of "${entry.key}"` : `the type of "${entry.key}"`;
  return { bytes: patched(original, (bytes) => bytes.writeUInt32LE(value, at)), description: `${what} set to ${value}` };
}

export function tensorOffset(original: EncodedOriginal, random: Random): MutatedFile {
  const { tensors } = original.layout;
  const index = random.below(tensors.length);
  const tensor = tensors[index]!;
  const current = original.bytes.readBigUInt64LE(tensor.offsetAt);
  const dataSize = BigInt(original.bytes.length - original.layout.dataOffset);
  const previous = index > 0 ? original.bytes.readBigUInt64LE(tensors[index - 1]!.offsetAt) : 0n;
  const value = random.pick([current + 1n, current + 16n, current + 32n, current > 0n ? current - 32n : 32n, previous, dataSize, dataSize - 32n, ...hugeValues, 0n]);
  return { bytes: patched(original, (bytes) => bytes.writeBigUInt64LE(value, tensor.offsetAt)), description: `the offset of tensor "${tensor.name}" set to ${value}` };
}

/** A tensor's dimension count or one of its dimensions set to something that overflows or lies. */
export function dimensionOverflow(original: EncodedOriginal, random: Random): MutatedFile {
  const tensor = random.pick(original.layout.tensors);
  const dimensionCount = original.bytes.readUInt32LE(tensor.dimensionCountAt);
  if (random.chance(0.2)) {
    const value = random.pick([0, 3, 4, 5, 9, 0xffff_ffff]);
    return { bytes: patched(original, (bytes) => bytes.writeUInt32LE(value, tensor.dimensionCountAt)), description: `the dimension count of "${tensor.name}" set to ${value}` };
  }
  const dimension = random.below(dimensionCount);
  const at = tensor.dimensionsAt + 8 * dimension;
  const current = original.bytes.readBigUInt64LE(at);
  const value = random.pick([...hugeValues, 2n ** 48n, 0n, current * 2n, current + 32n, current / 2n, current * 1024n]);
  // Sometimes a second large dimension too, so the product overflows 64 bits while each fits.
  const partner = dimensionCount > 1 && random.chance(0.3) ? (dimension + 1) % dimensionCount : undefined;
  const bytes = patched(original, (target) => {
    target.writeBigUInt64LE(value, at);
    if (partner !== undefined) target.writeBigUInt64LE(2n ** 33n, tensor.dimensionsAt + 8 * partner);
  });
  const also = partner === undefined ? "" : ` and dimension ${partner} to ${2n ** 33n}`;
  return { bytes, description: `dimension ${dimension} of "${tensor.name}" set to ${value}${also}` };
}
