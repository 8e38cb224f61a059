/**
 * The fuzz suite's cases: every case is a kind of damage and a mutated copy of the demo
 * model, rebuilt from (seed, index) alone. Kinds take turns (case i has kind i mod the
 * number of kinds), so any run of a few dozen cases covers every kind.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dimensionOverflow, flipHeaderBits, hugeCount, hugeLength, rawWrongType, tensorOffset, truncate, type EncodedOriginal, type MutatedFile } from "./byteMutations.js";
import { cloneGgufDocument, encodeGgufDocument, readGgufDocument, type GgufDocument } from "./ggufDocument.js";
import { duplicateKey, retypedValue } from "./metadataMutations.js";
import { Random } from "./random.js";
import { alignment, blockCount, contextLength, epsilon, feedForward, hyperparameter, tokenizerModel } from "./semanticMutations.js";
import { vocabulary } from "./vocabularyMutations.js";

/** The base a mutation starts from: the parsed document and its encoding. */
export interface FuzzBase {
  readonly document: GgufDocument;
  readonly original: EncodedOriginal;
}

type Mutation = (base: FuzzBase, random: Random) => MutatedFile;

const onBytes = (mutate: (original: EncodedOriginal, random: Random) => MutatedFile): Mutation => (base, random) => mutate(base.original, random);
const onDocument = (mutate: (document: GgufDocument, random: Random) => MutatedFile): Mutation => (base, random) => mutate(cloneGgufDocument(base.document), random);

/** Every kind, in the order they take turns and appear in reports. */
export const fuzzKinds = {
  "header bit flips": onBytes(flipHeaderBits),
  truncation: onBytes(truncate),
  "huge lengths": onBytes(hugeLength),
  "huge counts": onBytes(hugeCount),
  "wrong types": (base, random) => (random.chance(0.5) ? rawWrongType(base.original, random) : retypedValue(cloneGgufDocument(base.document), random)),
  "duplicate keys": onDocument(duplicateKey),
  "tensor offsets": onBytes(tensorOffset),
  "dimension overflow": onBytes(dimensionOverflow),
  hyperparameters: onDocument(hyperparameter),
  epsilons: onDocument(epsilon),
  "block count": onDocument(blockCount),
  "feed-forward length": onDocument(feedForward),
  "context length": onDocument(contextLength),
  alignment: onDocument(alignment),
  "tokenizer model": onDocument(tokenizerModel),
  vocabulary: onDocument(vocabulary),
} satisfies Record<string, Mutation>;

export type FuzzKind = keyof typeof fuzzKinds;

export const fuzzKindNames = Object.keys(fuzzKinds) as FuzzKind[];

export interface FuzzCase {
  readonly index: number;
  readonly kind: FuzzKind;
  readonly description: string;
  readonly path: string;
}

export async function loadFuzzBase(modelPath: string): Promise<FuzzBase> {
  const document = await readGgufDocument(modelPath);
  return { document, original: encodeGgufDocument(document) };
}

/** Builds case `index` of `seed`. */
export function buildFuzzCase(base: FuzzBase, seed: number, index: number): { kind: FuzzKind; file: MutatedFile } {
  const kind = fuzzKindNames[index % fuzzKindNames.length]!;
  return { kind, file: fuzzKinds[kind](base, new Random(seed, index)) };
}

/** Writes cases `first` to `first + count - 1` into `directory` and describes them. */
export async function writeFuzzCases(base: FuzzBase, seed: number, first: number, count: number, directory: string): Promise<FuzzCase[]> {
  await mkdir(directory, { recursive: true });
  const cases: FuzzCase[] = [];
  for (let index = first; index < first + count; index++) {
    const { kind, file } = buildFuzzCase(base, seed, index);
    const path = join(directory, `case-${index}.gguf`);
    await writeFile(path, file.bytes);
    cases.push({ index, kind, description: file.description, path });
  }
  return cases;
}
