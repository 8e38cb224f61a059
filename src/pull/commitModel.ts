/**
 * The end of a pull: the downloaded files are checked as GGUF (the same header
 * validation Model.load runs), flushed to disk, and moved into the store in one rename
 * of a complete directory, manifest included. Before that rename the store has no trace
 * of the model; after it, the model is whole.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelLoadError, PullError } from "../errors.js";
import { readGgufHeader } from "../engine/gguf/ggufHeader.js";
import { getMetadataNumber, summarizeGgufHeader } from "../engine/gguf/ggufMetadata.js";
import { validateGgufModel } from "../engine/gguf/ggufModelValidation.js";
import { probeModelFile } from "../engine/probe/probeModelFile.js";
import type { ModelStore } from "../store/ModelStore.js";
import { formatManifest, manifestFileName, readStoredModel, type StoredModel } from "../store/storedModel.js";
import type { DownloadedFile } from "./downloadFile.js";

/** A downloaded file with the ETag it was served with. */
export type CommittedFile = DownloadedFile & { readonly etag: string | undefined };

interface ModelFacts {
  readonly architecture: string;
  readonly parameterCount: number;
  readonly quantization: string | undefined;
  readonly contextLength: number | undefined;
}

/** Validates the downloaded files' GGUF headers; a bad one is a `corrupt` PullError and the downloads are dropped. */
export async function checkDownloadedModel(reference: string, files: readonly DownloadedFile[], partialDirectory: string): Promise<ModelFacts> {
  try {
    const first = await readGgufHeader(files[0]!.partPath);
    // The same content checks Model.load runs: a file that would abort the engine is not kept.
    validateGgufModel(first);
    const summary = summarizeGgufHeader(first);
    let parameterCount = summary.parameterCount;
    const splitCount = getMetadataNumber(first, "split.count");
    if ((splitCount ?? 1) !== files.length) throw new ModelLoadError(files[0]!.name, `the first part says the set has ${splitCount ?? "no"} parts, not ${files.length}`);
    for (const file of files.slice(1)) {
      const header = await readGgufHeader(file.partPath, { splitContinuation: true });
      parameterCount += header.tensors.reduce((sum, tensor) => sum + tensor.elementCount, 0);
    }
    return { architecture: summary.architecture, parameterCount, quantization: summary.quantization, contextLength: summary.contextLength };
  } catch (error) {
    if (!(error instanceof ModelLoadError)) throw error;
    await rm(partialDirectory, { recursive: true, force: true });
    throw new PullError(reference, "corrupt", `the download is not a usable GGUF model (${error.reason}); nothing was kept`, { cause: error });
  }
}

/**
 * Loads the model (its first file) once in a child process; a model that kills or hangs
 * the engine is a `corrupt` PullError and the downloads are dropped. The verdict is cached
 * by the file's fingerprint, which the rename into the store keeps.
 */
export async function probeDownloadedModel(reference: string, firstPartPath: string, partialDirectory: string): Promise<void> {
  const verdict = await probeModelFile(firstPartPath);
  if (verdict.safe) return;
  await rm(partialDirectory, { recursive: true, force: true });
  throw new PullError(reference, "corrupt", `a test load of the model failed: ${verdict.reason}; nothing was kept`);
}

/** Moves the files into the store as model `name`, replacing an older version of it. */
export async function commitModel(store: ModelStore, name: string, reference: string, files: readonly CommittedFile[], facts: ModelFacts): Promise<StoredModel> {
  const partialDirectory = store.partialDirectory(name);
  const staging = join(partialDirectory, `.commit-${randomBytes(6).toString("hex")}`);
  await mkdir(staging, { recursive: true });
  for (const file of files) {
    await flush(file.partPath);
    await rename(file.partPath, join(staging, file.name));
  }
  const manifest = formatManifest({
    name,
    reference,
    pulledAt: new Date(),
    files: files.map(({ name: fileName, sizeBytes, sha256, url, etag }) => ({ name: fileName, sizeBytes, sha256, url, etag })),
    ...facts,
  });
  await writeFile(join(staging, manifestFileName), manifest);
  await flush(join(staging, manifestFileName));

  const target = store.modelDirectory(name);
  const replaced = join(partialDirectory, `.replaced-${randomBytes(6).toString("hex")}`);
  const hadOlder = await rename(target, replaced).then(() => true, (error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return false;
    throw error;
  });
  try {
    await rename(staging, target);
  } catch (error) {
    if (hadOlder) await rename(replaced, target).catch(() => undefined);
    throw error;
  }
  await rm(partialDirectory, { recursive: true, force: true });
  const model = await readStoredModel(target);
  if (model === undefined) throw new PullError(reference, "storage", `the model just stored in ${target} cannot be read back`);
  return model;
}

/** Drops what a pull that crashed while committing left in the partial directory (the part files stay, to resume). */
export async function removeCommitLeftovers(partialDirectory: string): Promise<void> {
  const entries = await readdir(partialDirectory).catch(() => [] as string[]);
  await Promise.all(entries.filter((entry) => entry.startsWith(".commit-") || entry.startsWith(".replaced-")).map((entry) => rm(join(partialDirectory, entry), { recursive: true, force: true })));
}

/** Data on disk before the rename that makes it visible, so a power cut cannot leave a complete-looking file of zeros. */
async function flush(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
