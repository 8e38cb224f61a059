/**
 * A GGUF file as an editable document, for the fuzz suite: every metadata entry with its
 * declared type and all of its elements, every tensor record, and the tensor data as raw
 * bytes. Semantic mutations edit the document and encode it again; byte-level mutations
 * patch the encoding at the field offsets `encodeGgufDocument` records.
 *
 * Encoding the demo model without edits gives back its exact bytes (a unit test checks
 * it), so a mutated file differs from the demo only where its mutation says.
 */
import { readFile } from "node:fs/promises";
import { readGgufHeader } from "../../src/engine/gguf/ggufHeader.js";
import { alignmentKey, alignOffset, currentGgufVersion, defaultGgufAlignment, ggufMagic } from "../../src/engine/gguf/ggufFormat.js";
import { isGgufArray } from "../../src/engine/gguf/ggufValue.js";
import { ByteSink, encodeMetadataEntry, type GgufMetadataEntryToWrite } from "../gguf/metadataEncoding.js";

/** A tensor record; dimensions and offset may be bigints so mutations can overflow them. */
export interface GgufTensorRecord {
  name: string;
  dimensions: (number | bigint)[];
  typeId: number;
  offset: number | bigint;
}

export interface GgufDocument {
  metadata: GgufMetadataEntryToWrite[];
  tensors: GgufTensorRecord[];
  /** The tensor data section, from its aligned start to the end of the file. */
  data: Buffer;
}

/** Where each field of an encoded document lies, for byte-level mutations. */
export interface GgufLayout {
  readonly versionAt: number;
  readonly tensorCountAt: number;
  readonly entryCountAt: number;
  readonly entries: readonly { key: string; keyLengthAt: number; typeAt: number; valueAt: number; arrayLengthAt?: number; end: number }[];
  readonly tensors: readonly { name: string; nameLengthAt: number; dimensionCountAt: number; dimensionsAt: number; typeAt: number; offsetAt: number }[];
  readonly headerEnd: number;
  readonly dataOffset: number;
}

/** Reads a GGUF file (which must pass header validation) into a document. */
export async function readGgufDocument(path: string): Promise<GgufDocument> {
  const lean = await readGgufHeader(path);
  const arrayKeys = [...lean.metadata].filter(([, value]) => isGgufArray(value)).map(([key]) => key);
  const header = await readGgufHeader(path, { keepArrayElements: arrayKeys });
  const metadata: GgufMetadataEntryToWrite[] = [];
  for (const [key, value] of header.metadata) {
    const type = header.metadataTypes.get(key)!;
    if (isGgufArray(value)) {
      metadata.push({ key, type: "array", elementType: value.elementType, value: [...value.elements!] });
    } else {
      metadata.push({ key, type, value } as GgufMetadataEntryToWrite);
    }
  }
  const bytes = await readFile(path);
  return {
    metadata,
    tensors: header.tensors.map(({ name, dimensions, typeId, offset }) => ({ name, dimensions: [...dimensions], typeId, offset })),
    data: bytes.subarray(header.dataOffset),
  };
}

/** A deep copy that mutations can edit freely (the data section is shared: it is never edited in place). */
export function cloneGgufDocument(document: GgufDocument): GgufDocument {
  return {
    metadata: document.metadata.map((entry) => (entry.type === "array" ? { ...entry, value: [...entry.value] } : { ...entry })),
    tensors: document.tensors.map((tensor) => ({ ...tensor, dimensions: [...tensor.dimensions] })),
    data: document.data,
  };
}

/** Replaces the entry with `entry.key`, or appends it when the key is absent. */
export function setMetadataEntry(document: GgufDocument, entry: GgufMetadataEntryToWrite): void {
  const index = document.metadata.findIndex((candidate) => candidate.key === entry.key);
  if (index === -1) document.metadata.push(entry);
  else document.metadata[index] = entry;
}

export function removeMetadataEntry(document: GgufDocument, key: string): void {
  document.metadata = document.metadata.filter((entry) => entry.key !== key);
}

/** Encodes a document: header, padding to the declared alignment, then the data section. */
export function encodeGgufDocument(document: GgufDocument): { bytes: Buffer; layout: GgufLayout } {
  const sink = new PositionedSink();
  sink.push(Buffer.from(ggufMagic, "latin1"));
  const versionAt = sink.position;
  sink.uint32(currentGgufVersion);
  const tensorCountAt = sink.position;
  sink.uint64(document.tensors.length);
  const entryCountAt = sink.position;
  sink.uint64(document.metadata.length);
  const entries = document.metadata.map((entry) => {
    const keyLengthAt = sink.position;
    const keyBytes = Buffer.byteLength(entry.key);
    const part = new ByteSink();
    encodeMetadataEntry(part, entry);
    sink.push(part.toBuffer());
    const typeAt = keyLengthAt + 8 + keyBytes;
    const valueAt = typeAt + 4;
    return { key: entry.key, keyLengthAt, typeAt, valueAt, ...(entry.type === "array" ? { arrayLengthAt: valueAt + 4 } : {}), end: sink.position };
  });
  const tensors = document.tensors.map((tensor) => {
    const nameLengthAt = sink.position;
    sink.string(tensor.name);
    const dimensionCountAt = sink.position;
    sink.uint32(tensor.dimensions.length);
    const dimensionsAt = sink.position;
    for (const size of tensor.dimensions) sink.uint64(size);
    const typeAt = sink.position;
    sink.uint32(tensor.typeId);
    const offsetAt = sink.position;
    sink.uint64(tensor.offset);
    return { name: tensor.name, nameLengthAt, dimensionCountAt, dimensionsAt, typeAt, offsetAt };
  });
  const headerEnd = sink.position;
  const dataOffset = alignOffset(headerEnd, paddingAlignment(document));
  const header = sink.toBuffer();
  const bytes = Buffer.concat([header, Buffer.alloc(dataOffset - headerEnd), document.data]);
  return { bytes, layout: { versionAt, tensorCountAt, entryCountAt, entries, tensors, headerEnd, dataOffset } };
}

/** The alignment a writer would pad to: the declared one when it is a usable power of two. */
function paddingAlignment(document: GgufDocument): number {
  const entry = document.metadata.find((candidate) => candidate.key === alignmentKey);
  const value = entry?.type === "uint32" ? Number(entry.value) : defaultGgufAlignment;
  return value > 0 && value <= 1 << 20 && (value & (value - 1)) === 0 ? value : defaultGgufAlignment;
}

class PositionedSink extends ByteSink {
  position = 0;

  override push(part: Buffer): void {
    super.push(part);
    this.position += part.length;
  }
}
