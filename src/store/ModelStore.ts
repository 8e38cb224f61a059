/**
 * The model store: a directory of pulled models, one directory each (see storedModel.ts),
 * named by store name. Downloads in progress live under `.partial/`, which is never
 * listed: a model appears in the store whole or not at all.
 *
 *   <store>/hf.co%2Fuser%2Frepo%3AQ4_K_M/   model.gguf, manifest.json
 *   <store>/.partial/<same>/                 what a pull has received so far, to resume
 *   <store>/.partial/<same>.lock             held while a process pulls or removes it
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { ModelNotFoundError } from "../errors.js";
import { huggingFaceRepositoryName, parseModelReference, storeNameOf } from "./modelReference.js";
import { preferredQuantization } from "./quantization.js";
import { defaultStoreDirectory } from "./storeDirectory.js";
import { acquireLock, type AcquireLockOptions } from "./storeLock.js";
import { readStoredModel, type StoredModel } from "./storedModel.js";

const partialDirectoryName = ".partial";

export class ModelStore {
  /** Absolute path of the store's directory. */
  readonly directory: string;

  /** A store in `directory`. Defaults to `MULLAMA_MODELS`, else the user's cache directory (`~/.cache/mullama/models`). */
  constructor(directory: string = defaultStoreDirectory()) {
    this.directory = directory;
  }

  /** Every model in the store, by name. An absent store directory is an empty store. */
  async list(): Promise<StoredModel[]> {
    let entries: string[];
    try {
      entries = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const models = await Promise.all(entries.filter((entry) => !entry.startsWith(".")).map((entry) => readStoredModel(join(this.directory, entry))));
    // Code-point order: the same on every machine, whatever its locale.
    return models.filter((model) => model !== undefined).sort((first, second) => (first.name < second.name ? -1 : first.name > second.name ? 1 : 0));
  }

  /**
   * The stored model a store name or a reference means, or undefined. A reference is
   * taken as the name it pulls to; `hf:<user>/<repo>` without a quantization means the
   * stored model of that repository in the default order (Q4_K_M first).
   */
  async find(nameOrReference: string): Promise<StoredModel | undefined> {
    const reference = parseModelReference(nameOrReference);
    if (reference === undefined) return this.#read(nameOrReference.trim());
    const name = storeNameOf(reference);
    if (name !== undefined) return this.#read(name);
    if (reference.kind !== "hugging-face") return undefined;
    const prefix = huggingFaceRepositoryName(reference.user, reference.repository);
    // Tagged names (`:Q4_K_M`, as the pull chose by file name) before file names; the header's quantization for those.
    const models = await this.list();
    const candidates = [...models.filter((model) => model.name.startsWith(`${prefix}:`)), ...models.filter((model) => model.name.startsWith(`${prefix}/`))];
    const quantizationOf = (model: StoredModel) => (model.name.startsWith(`${prefix}:`) ? model.name.slice(prefix.length + 1) : model.quantization);
    const preferred = preferredQuantization(candidates.map(quantizationOf).filter((quantization) => quantization !== undefined));
    return candidates.find((model) => quantizationOf(model) === preferred) ?? candidates[0];
  }

  /** Like {@link find}, but a missing model is a ModelNotFoundError that says how to get it. */
  async get(nameOrReference: string): Promise<StoredModel> {
    const model = await this.find(nameOrReference);
    if (model === undefined) throw this.notFound(nameOrReference);
    return model;
  }

  /** Removes a model: it leaves the store at once (one rename), then its files are deleted. */
  async remove(nameOrReference: string, options: Pick<AcquireLockOptions, "signal"> = {}): Promise<StoredModel> {
    const model = await this.get(nameOrReference);
    const release = await this.lock(model.name, { ...options, what: `Removing "${model.name}"` });
    try {
      const trash = join(this.directory, partialDirectoryName, `removed-${randomBytes(6).toString("hex")}`);
      await mkdir(join(this.directory, partialDirectoryName), { recursive: true });
      try {
        await rename(this.modelDirectory(model.name), trash);
      } catch (error) {
        // Removed by someone else since it was found.
        if ((error as NodeJS.ErrnoException).code === "ENOENT") throw this.notFound(nameOrReference);
        throw error;
      }
      await rm(trash, { recursive: true, force: true });
      return model;
    } finally {
      await release();
    }
  }

  /** The error for a model that is not here, with the command that gets it. */
  notFound(nameOrReference: string): ModelNotFoundError {
    const isReference = parseModelReference(nameOrReference) !== undefined;
    const hint = isReference ? `pull it with "mullama pull ${nameOrReference}" (or pass --pull)` : `"mullama list" shows what is there; "mullama pull <reference>" adds a model`;
    return new ModelNotFoundError(nameOrReference, `"${nameOrReference}" is not in the model store (${this.directory}): ${hint}`);
  }

  /** @internal The directory a model of this name has in the store. */
  modelDirectory(name: string): string {
    return join(this.directory, directoryNameOf(name));
  }

  /** @internal Where a pull of this name keeps what it has received so far. */
  partialDirectory(name: string): string {
    return join(this.directory, partialDirectoryName, directoryNameOf(name));
  }

  /** @internal Takes the lock of one model's name (pulls and removals of it wait for each other). */
  async lock(name: string, options: AcquireLockOptions = {}): Promise<() => Promise<void>> {
    const partials = join(this.directory, partialDirectoryName);
    await mkdir(partials, { recursive: true });
    return acquireLock(join(partials, `${directoryNameOf(name)}.lock`), options);
  }

  async #read(name: string): Promise<StoredModel | undefined> {
    if (name === "") return undefined;
    const model = await readStoredModel(this.modelDirectory(name));
    return model?.name === name ? model : undefined;
  }
}

/**
 * A store name as one directory name: every byte outside [A-Za-z0-9_-] and any '.' at the
 * start percent-encoded. One to one (nothing maps to "..", ".partial" or a path), and the
 * same on every file system. Names are case-sensitive, as on Hugging Face's side.
 */
export function directoryNameOf(name: string): string {
  return Array.from(Buffer.from(name, "utf8"), (byte, index) => {
    const character = String.fromCharCode(byte);
    return /[A-Za-z0-9_-]/.test(character) || (character === "." && index > 0) ? character : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}
