/**
 * Reading metadata arrays. Every element is validated, but only short arrays (or ones a
 * caller asked for) keep their elements: a 250k-token vocabulary is read as its length.
 */
import type { GgufByteReader } from "./ggufByteReader.js";
import { ggufFixedValueSizes, ggufValueTypeName, type GgufScalarTypeName } from "./ggufFormat.js";
import { ggufHeaderLimits, keptArrayElementLimit } from "./ggufLimits.js";
import { checkStringLength, decodeFixedValue, type GgufScalar } from "./ggufScalar.js";
import { collisionCause, engineTokenText, tokenTextChange, type TokenTextChange } from "./ggufTokenText.js";

/**
 * String arrays whose elements must all differ as llama.cpp reads them (see
 * ggufTokenText.ts). llama.cpp aborts the whole process (`GGML_ASSERT(id_to_token.size()
 * == token_to_id.size())` in llama-vocab.cpp, SIGABRT, seen with node-llama-cpp 3.22.1) on
 * a vocabulary that has two tokens with the same text.
 */
const distinctStringArrays: ReadonlySet<string> = new Set(["tokenizer.ggml.tokens"]);

/** A metadata array. Long arrays keep only their length (see `keptArrayElementLimit`). */
export interface GgufArray {
  readonly kind: "array";
  readonly elementType: GgufScalarTypeName;
  readonly length: number;
  /** The elements, or undefined when the array was too long to keep. */
  readonly elements: readonly GgufScalar[] | undefined;
}

/** Reads an array value (after its key and type); `alwaysKeep` keeps the elements however many. */
export async function readArray(reader: GgufByteReader, key: string, alwaysKeep: boolean): Promise<GgufArray> {
  const elementTypeId = await reader.uint32(`the element type of array "${key}"`);
  const elementType = ggufValueTypeName(elementTypeId);
  if (elementType === undefined) reader.fail(`malformed header: array "${key}" has unknown element type ${elementTypeId}`);
  // llama.cpp's own reader rejects nested arrays; a file that has one cannot load.
  if (elementType === "array") reader.fail(`malformed header: array "${key}" contains arrays, which are not supported`);
  const count = await reader.uint64(`the length of array "${key}"`);
  if (count > BigInt(ggufHeaderLimits.maxArrayLength)) {
    reader.fail(`malformed header: array "${key}" claims ${count} elements, over the limit of ${ggufHeaderLimits.maxArrayLength}`);
  }
  const length = Number(count);
  const keep = alwaysKeep || length <= keptArrayElementLimit;
  const what = `array "${key}"`;
  const elements =
    elementType === "string"
      ? await readStringElements(reader, length, keep, distinctStringArrays.has(key), what)
      : await readFixedElements(reader, elementType, length, keep, what);
  return { kind: "array", elementType, length, elements };
}

async function readFixedElements(
  reader: GgufByteReader,
  type: Exclude<GgufScalarTypeName, "string">,
  length: number,
  keep: boolean,
  what: string,
): Promise<GgufScalar[] | undefined> {
  const elementSize = ggufFixedValueSizes[type];
  const byteCount = length * elementSize;
  if (!keep) {
    reader.skip(byteCount, what);
    return undefined;
  }
  const bytes = await reader.bytes(byteCount, what);
  return Array.from({ length }, (_, index) => decodeFixedValue(bytes, index * elementSize, type));
}

async function readStringElements(
  reader: GgufByteReader,
  length: number,
  keep: boolean,
  distinct: boolean,
  what: string,
): Promise<string[] | undefined> {
  // Each element has at least its 8-byte length: a count the file cannot hold is
  // reported before looping over it.
  reader.requireRemaining(length * 8, what);
  const elements: string[] | undefined = keep ? [] : undefined;
  const indexOfText = distinct ? new Map<string, number>() : undefined;
  // Only the few tokens llama.cpp changes are noted, to say why a collision happened.
  const changes = new Map<number, TokenTextChange>();
  const elementWhat = `an element of ${what}`;
  for (let index = 0; index < length; index++) {
    // Awaiting only when the window needs a refill keeps a 250k-token vocabulary fast.
    const lengthRefill = reader.ensure(8, elementWhat);
    if (lengthRefill !== undefined) await lengthRefill;
    const elementLength = checkStringLength(reader, reader.takeUint64(), ggufHeaderLimits.maxStringLength, elementWhat);
    if (elements === undefined && indexOfText === undefined) {
      reader.skip(elementLength, elementWhat);
      continue;
    }
    const bytesRefill = reader.ensure(elementLength, elementWhat);
    if (bytesRefill !== undefined) await bytesRefill;
    const bytes = reader.takeBytes(elementLength);
    elements?.push(bytes.toString("utf8"));
    if (indexOfText !== undefined) {
      const text = engineTokenText(bytes, index);
      const change = tokenTextChange(bytes);
      const earlier = indexOfText.get(text);
      if (earlier !== undefined) {
        const shown = JSON.stringify(Buffer.from(text, "latin1").toString("utf8").slice(0, 40));
        reader.fail(`malformed header: ${what} has the same text ${shown} at indexes ${earlier} and ${index}${collisionCause(changes.get(earlier), change)}`);
      }
      indexOfText.set(text, index);
      if (change !== undefined) changes.set(index, change);
    }
  }
  return elements;
}
