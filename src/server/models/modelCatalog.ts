/**
 * The models a server can serve: the ones it was given (paths, store names, or Models an
 * app shares), then, when it serves a store, every model in that store. The store is read
 * again on each look-up, so a model pulled (or removed) while the server runs appears (or
 * goes) at once. Names match as Ollama clients write them: `name` and `name:latest`.
 */
import { stat } from "node:fs/promises";
import { InvalidArgumentError } from "../../errors.js";
import { Model } from "../../model/Model.js";
import { resolveModelSource } from "../../model/modelSource.js";
import type { ModelStore } from "../../store/ModelStore.js";
import type { StoredModel } from "../../store/storedModel.js";
import { modelIdFromPath } from "../servedModel.js";

/** One model the server can load. */
export interface CatalogEntry {
  /** The name clients use in `model` fields. */
  readonly id: string;
  /** The file to load. */
  readonly path: string;
  /** A Model the app loaded and shares: the server uses it and never disposes it. */
  readonly model: Model | undefined;
  /** The stored model, when it comes from the store. */
  readonly stored: StoredModel | undefined;
  /** When it was pulled, else its file's modification time. */
  readonly modifiedAt: Date;
}

export class ModelCatalog {
  readonly #named: readonly CatalogEntry[];
  /** The store whose every model is served too, when there is one. */
  readonly store: ModelStore | undefined;

  private constructor(named: readonly CatalogEntry[], store: ModelStore | undefined) {
    this.#named = named;
    this.store = store;
  }

  /**
   * Resolves the models given by name or path (a store name is looked up in `store`, or in
   * the default store). `name` renames the first (the server's `modelName`). Two models
   * with one name are refused: a request could not tell them apart.
   */
  static async create(models: readonly (string | Model)[], options: { store: ModelStore | undefined; serveStore: boolean; name: string | undefined }): Promise<ModelCatalog> {
    const named: CatalogEntry[] = [];
    for (const [index, given] of models.entries()) {
      const entry = given instanceof Model ? { path: given.path, model: given, stored: undefined, modifiedAt: (await stat(given.path)).mtime } : await resolveEntry(given, options.store);
      const id = (index === 0 ? options.name : undefined) ?? entry.stored?.name ?? modelIdFromPath(entry.path);
      if (named.some((other) => other.id === id)) throw new InvalidArgumentError("models", `two models are named "${id}"; give each a distinct file or store name`);
      named.push({ ...entry, id });
    }
    return new ModelCatalog(named, options.serveStore ? options.store : undefined);
  }

  /** Every model: the named ones first (in the order given), then the store's, by name. */
  async list(): Promise<CatalogEntry[]> {
    if (this.store === undefined) return [...this.#named];
    const stored = await this.store.list();
    const namedPaths = new Set(this.#named.map((entry) => entry.path));
    const fromStore = stored.filter((model) => !namedPaths.has(model.path) && !this.#named.some((entry) => entry.id === model.name));
    return [...this.#named, ...fromStore.map(storeEntry)];
  }

  /** The model a request's `model` field names (`name`, `name:latest`, or a reference to a stored model), or undefined. */
  async find(requested: string): Promise<CatalogEntry | undefined> {
    const bare = requested.endsWith(":latest") ? requested.slice(0, -":latest".length) : requested;
    const named = this.#named.find((entry) => entry.id === requested || entry.id === bare);
    if (named !== undefined || this.store === undefined) return named;
    let stored: StoredModel | undefined;
    try {
      stored = (await this.store.find(requested)) ?? (bare === requested ? undefined : await this.store.find(bare));
    } catch {
      // A malformed reference names nothing here.
      return undefined;
    }
    return stored === undefined ? undefined : storeEntry(stored);
  }

  /** The model a request without a `model` field gets: the first named one, else the store's first. */
  async defaultEntry(): Promise<CatalogEntry | undefined> {
    return this.#named[0] ?? (await this.list())[0];
  }

  /** Whether exactly one model is served and nothing else can appear (no store): the server then loads it at once and keeps it. */
  get single(): boolean {
    return this.#named.length === 1 && this.store === undefined;
  }

  /** The models given by name, for loading at start. */
  get named(): readonly CatalogEntry[] {
    return this.#named;
  }
}

function storeEntry(stored: StoredModel): CatalogEntry {
  return { id: stored.name, path: stored.path, model: undefined, stored, modifiedAt: stored.pulledAt };
}

async function resolveEntry(pathOrName: string, store: ModelStore | undefined): Promise<Omit<CatalogEntry, "id">> {
  const { path, stored } = await resolveModelSource(pathOrName, { pull: false, ...(store === undefined ? {} : { store }) });
  return { path, model: undefined, stored, modifiedAt: stored?.pulledAt ?? (await stat(path)).mtime };
}
