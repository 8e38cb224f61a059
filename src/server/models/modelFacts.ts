/**
 * What the APIs tell about a model without loading it (`/api/tags`, `/api/show`,
 * `/v1/models`): from the store's manifest, else from the file's header. The digest is the
 * file's SHA-256 for a stored model (computed when it was pulled); for a file given by
 * path it identifies the file by path, size and modification time, instead of hashing
 * gigabytes of weights.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { readGgufHeader } from "../../engine/gguf/ggufHeader.js";
import { summarizeGgufHeader } from "../../engine/gguf/ggufMetadata.js";
import type { CatalogEntry } from "./modelCatalog.js";

export interface ModelFacts {
  readonly id: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly modifiedAt: Date;
  /** Hex SHA-256. */
  readonly digest: string;
  readonly architecture: string;
  readonly parameterCount: number;
  readonly quantization: string | undefined;
  readonly contextLength: number | undefined;
  readonly chatTemplate: string | undefined;
  readonly name: string | undefined;
  readonly vocabularySize: number | undefined;
}

const cache = new Map<string, { key: string; facts: ModelFacts }>();

/** The facts of a catalog entry; rejects (ModelLoadError) when its file is missing or damaged. */
export async function modelFacts(entry: CatalogEntry): Promise<ModelFacts> {
  const path = resolve(entry.path);
  const file = await stat(path);
  const key = `${entry.id}\0${file.size}\0${file.mtimeMs}`;
  const cached = cache.get(path);
  if (cached?.key === key) return cached.facts;
  const summary = summarizeGgufHeader(await readGgufHeader(path));
  const facts: ModelFacts = {
    id: entry.id,
    path,
    sizeBytes: entry.stored?.sizeBytes ?? file.size,
    modifiedAt: entry.modifiedAt,
    digest: entry.stored?.files[0]?.sha256 ?? createHash("sha256").update(`${path}\0${file.size}\0${file.mtimeMs}`).digest("hex"),
    architecture: summary.architecture,
    parameterCount: summary.parameterCount,
    quantization: summary.quantization,
    contextLength: summary.contextLength,
    chatTemplate: summary.chatTemplate,
    name: summary.name,
    vocabularySize: summary.vocabularySize,
  };
  cache.set(path, { key, facts });
  return facts;
}
