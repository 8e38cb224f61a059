/** Edited copies of the demo model, for tests of what the validator and the engine make of them. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cloneGgufDocument, encodeGgufDocument, readGgufDocument, setMetadataEntry, type GgufDocument } from "../../scripts/fuzz/ggufDocument.ts";
import { defaultModelPath } from "../../src/index.ts";

export { removeMetadataEntry, setMetadataEntry, type GgufDocument } from "../../scripts/fuzz/ggufDocument.ts";

let demo: Promise<GgufDocument> | undefined;

/** Writes `<directory>/<name>.gguf`: the demo model after `edit`, and returns its path. */
export async function writeEditedDemo(directory: string, name: string, edit: (document: GgufDocument) => void): Promise<string> {
  demo ??= readGgufDocument(defaultModelPath);
  const document = cloneGgufDocument(await demo);
  edit(document);
  const path = join(directory, `${name}.gguf`);
  await writeFile(path, encodeGgufDocument(document).bytes);
  return path;
}

/** The token list of a document, to edit in place. */
export function tokensOf(document: GgufDocument): string[] {
  const entry = document.metadata.find((candidate) => candidate.key === "tokenizer.ggml.tokens");
  if (entry?.type !== "array") throw new Error("the document has no token list");
  return entry.value as string[];
}

/** Makes the demo (a llama) claim another architecture, its `llama.*` keys renamed to match. */
export function renameArchitecture(document: GgufDocument, architecture: string): void {
  document.metadata = document.metadata.map((entry) => (entry.key.startsWith("llama.") ? { ...entry, key: `${architecture}.${entry.key.slice("llama.".length)}` } : entry));
  setMetadataEntry(document, { key: "general.architecture", type: "string", value: architecture });
}
