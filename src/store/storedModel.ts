/**
 * A model in the store: its directory holds the GGUF file(s) under their own names and
 * `manifest.json`, written last, which says what they are and where they came from. A
 * directory is only ever moved into the store complete (see pull/commitModel.ts), so
 * a manifest's presence means its files were verified.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** One file of a stored model. */
export interface StoredModelFile {
  /** File name inside the model's directory. */
  readonly name: string;
  readonly sizeBytes: number;
  /** Hex SHA-256 of the file, computed while it was downloaded (and checked against the server's when it announced one). */
  readonly sha256: string;
  /** Where it was downloaded from. */
  readonly url: string;
  /** The server's ETag for it, when it gave one: tells a later pull whether it changed (for servers that announce no hash). */
  readonly etag?: string | undefined;
}

/** What `list` and `show` tell about a stored model, from its manifest. */
export interface StoredModel {
  /** The store name: what `run -m`, `Model.load` and `rm` take (see docs/MODELS.md). */
  readonly name: string;
  /** The reference it was pulled with, as given. */
  readonly reference: string;
  /** Absolute path of the file to load (the first part of a split set). */
  readonly path: string;
  /** The model's directory in the store. */
  readonly directory: string;
  readonly files: readonly StoredModelFile[];
  /** Sum of the files' sizes. */
  readonly sizeBytes: number;
  readonly pulledAt: Date;
  /** `general.architecture`, for example `"llama"`. */
  readonly architecture: string;
  /** Weights summed over every tensor of every file. */
  readonly parameterCount: number;
  /** For example `"Q4_K_M"`, from the file's header. */
  readonly quantization: string | undefined;
  /** The context length the model was trained with, in tokens. */
  readonly contextLength: number | undefined;
}

export const manifestFileName = "manifest.json";

const manifestSchema = z.object({
  version: z.literal(1),
  name: z.string().min(1),
  reference: z.string(),
  pulledAt: z.iso.datetime(),
  files: z.array(z.object({
    name: z.string().min(1).refine((name) => !/[\\/]/.test(name) && name !== "." && name !== "..", "a plain file name"),
    sizeBytes: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    url: z.string(),
    etag: z.string().optional(),
  })).min(1),
  architecture: z.string(),
  parameterCount: z.number().min(0),
  quantization: z.string().optional(),
  contextLength: z.number().optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest of a stored model as JSON text. */
export function formatManifest(model: Omit<StoredModel, "path" | "directory" | "sizeBytes">): string {
  const manifest: Manifest = {
    version: 1,
    name: model.name,
    reference: model.reference,
    pulledAt: model.pulledAt.toISOString(),
    files: model.files.map(({ name, sizeBytes, sha256, url, etag }) => ({ name, sizeBytes, sha256, url, ...(etag === undefined ? {} : { etag }) })),
    architecture: model.architecture,
    parameterCount: model.parameterCount,
    ...(model.quantization === undefined ? {} : { quantization: model.quantization }),
    ...(model.contextLength === undefined ? {} : { contextLength: model.contextLength }),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Reads the model in `directory`, or undefined when it holds no readable manifest (a
 * directory someone else put there, or one damaged by hand: it is not a model).
 */
export async function readStoredModel(directory: string): Promise<StoredModel | undefined> {
  let text: string;
  try {
    text = await readFile(join(directory, manifestFileName), "utf8");
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const manifest = parsed.data;
  return {
    name: manifest.name,
    reference: manifest.reference,
    path: join(directory, manifest.files[0]!.name),
    directory,
    files: manifest.files,
    sizeBytes: manifest.files.reduce((sum, file) => sum + file.sizeBytes, 0),
    pulledAt: new Date(manifest.pulledAt),
    architecture: manifest.architecture,
    parameterCount: manifest.parameterCount,
    quantization: manifest.quantization,
    contextLength: manifest.contextLength,
  };
}
