/**
 * What `Model.load` (and every CLI command that takes `-m`) accepts: a file path, a store
 * name, or a reference, resolved in that order. A path that exists is always a path; a
 * reference not in the store is pulled only when asked (`pull: true`, `--pull`),
 * otherwise the error says how to get it.
 */
import { stat } from "node:fs/promises";
import { ModelLoadError } from "../errors.js";
import { pullModel } from "../pull/pullModel.js";
import type { PullProgress } from "../pull/pullProgress.js";
import { parseModelReference } from "../store/modelReference.js";
import { ModelStore } from "../store/ModelStore.js";
import type { StoredModel } from "../store/storedModel.js";

export interface ModelSourceOptions {
  pull: boolean;
  onPullProgress?: ((progress: PullProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Defaults to the default store (`MULLAMA_MODELS`, else the cache directory). */
  store?: ModelStore;
}

/** The file to load for `pathOrName`, and the stored model it is when it came from the store. */
export async function resolveModelSource(pathOrName: string, options: ModelSourceOptions): Promise<{ path: string; stored: StoredModel | undefined }> {
  if (await exists(pathOrName)) return { path: pathOrName, stored: undefined };
  const store = options.store ?? new ModelStore();
  const reference = parseModelReference(pathOrName);
  const stored = await store.find(pathOrName);
  if (stored !== undefined) return { path: stored.path, stored };
  if (reference === undefined) {
    throw new ModelLoadError(pathOrName, `file not found, and no model of that name in the store ${store.directory} ("mullama list" shows them)`);
  }
  if (!options.pull) {
    throw new ModelLoadError(pathOrName, `not in the model store ${store.directory}: pull it first with "mullama pull ${pathOrName}" (or --pull; pull: true in Model.load)`);
  }
  const pulled = await pullModel(pathOrName, { store, ...(options.onPullProgress === undefined ? {} : { onProgress: options.onPullProgress }), ...(options.signal === undefined ? {} : { signal: options.signal }) });
  return { path: pulled.path, stored: pulled };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
