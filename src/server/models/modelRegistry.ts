/**
 * The models of a running server: which are loaded, loading, or only available. A request
 * takes a model by name (`acquire`); one not loaded yet loads then, and every request for
 * it meanwhile waits for that one load. A load that fails answers its error to all of
 * them, and the next request tries again. Before a load starts, it must fit: at most
 * `maxLoadedModels` at once and the memory estimate (memoryEstimate.ts), making room by
 * unloading idle models, least recently used first (eviction.ts). A model unloads when its
 * keep-alive runs out. A gateway's registry also knows the models its upstream engines
 * serve (upstreams/upstreamFleet.ts): a name no local model has goes to them.
 */
import { errorMessage, ModelLoadError, MullamaError, RequestError } from "../../errors.js";
import { modelNotFound, unavailable } from "../httpErrors.js";
import type { ResolvedServerOptions } from "../serverOptions.js";
import type { ServerMetrics } from "../serverMetrics.js";
import type { UpstreamFleet } from "../upstreams/upstreamFleet.js";
import type { UpstreamModel } from "../upstreams/upstreamModel.js";
import { chooseEvictions } from "./eviction.js";
import type { KeepAliveMs } from "./keepAlive.js";
import { LoadedModel } from "./loadedModel.js";
import { estimateModelBytes, formatBytes, type MemoryProbe } from "./memoryEstimate.js";
import type { CatalogEntry, ModelCatalog } from "./modelCatalog.js";

/** What serves a request: a model loaded here, or one served by upstream engines. */
export type ServingModel = LoadedModel | UpstreamModel;

/** A model held by one request; `release()` once the request is over (safe to call twice). */
export interface ModelLease {
  readonly model: ServingModel;
  readonly release: () => void;
}

export interface RegistryOptions {
  readonly settings: ResolvedServerOptions;
  readonly metrics: ServerMetrics;
  readonly memory: MemoryProbe;
  /** The keep-alive of a model whose requests give none. */
  readonly defaultKeepAliveMs: KeepAliveMs;
  readonly log: (fields: Record<string, unknown>, message: string) => void;
  /** The upstream engines of a gateway, whose models are served beside the local ones. Defaults to none. */
  readonly upstreams?: UpstreamFleet | undefined;
}

export class ModelRegistry {
  readonly catalog: ModelCatalog;
  readonly #options: RegistryOptions;
  readonly #loaded = new Map<string, LoadedModel>();
  readonly #loading = new Map<string, Promise<LoadedModel>>();
  readonly #unloads = new Map<string, Promise<void>>();
  /** Memory promised to loads that passed the check and have not finished, in bytes. */
  #reservedBytes = 0;
  readonly #abort = new AbortController();

  constructor(catalog: ModelCatalog, options: RegistryOptions) {
    this.catalog = catalog;
    this.#options = options;
  }

  /** The model `name` means (the default one when undefined), loaded; 404 when there is none, 503/507 when it cannot load now. */
  async acquire(name: string | undefined, keepAliveMs?: KeepAliveMs): Promise<ModelLease> {
    const upstream = await this.upstreamModel(name);
    // Nothing to hold: the upstream engines keep their models loaded.
    if (upstream !== undefined) return { model: upstream, release: () => {} };
    const entry = await this.entry(name);
    for (;;) {
      let model = this.#loaded.get(entry.id);
      if (model === undefined) {
        try {
          model = await this.#load(entry);
        } catch (error) {
          throw loadFailure(entry, error);
        }
      }
      // Unloaded (keep_alive 0, a delete) between its load and this request's turn: load it again.
      if (model.unloading) continue;
      return { model, release: model.acquire(keepAliveMs) };
    }
  }

  /** The catalog entry of a requested name, or the 404 that lists what is there. */
  async entry(name: string | undefined): Promise<CatalogEntry> {
    if (this.#abort.signal.aborted) throw unavailable("SHUTTING_DOWN", "The server is shutting down");
    const entry = name === undefined ? await this.catalog.defaultEntry() : await this.catalog.find(name);
    if (entry !== undefined) return entry;
    const available = [...(await this.catalog.list()).map((each) => each.id), ...(this.#options.upstreams?.modelNames ?? [])];
    throw modelNotFound(name ?? "(default)", available);
  }

  /** The upstream model a requested name means, when no local model has it (the first upstream model when no name is given and nothing is local). */
  async upstreamModel(name: string | undefined): Promise<UpstreamModel | undefined> {
    const upstreams = this.#options.upstreams;
    if (upstreams === undefined) return undefined;
    if (this.#abort.signal.aborted) throw unavailable("SHUTTING_DOWN", "The server is shutting down");
    const local = name === undefined ? await this.catalog.defaultEntry() : await this.catalog.find(name);
    return local === undefined ? upstreams.model(name) : undefined;
  }

  /** Loads a model ahead of any request (the single model of a server, at start); rejects with the load's own error. */
  async preload(entry: CatalogEntry): Promise<LoadedModel> {
    return this.#loaded.get(entry.id) ?? (await this.#load(entry));
  }

  /** Models in memory now, most recently used first. */
  get loaded(): LoadedModel[] {
    return [...this.#loaded.values()].sort((first, second) => second.lastUsedAt - first.lastUsedAt);
  }

  /** The loaded model of this name, if it is loaded. */
  loadedModel(id: string): LoadedModel | undefined {
    return this.#loaded.get(id);
  }

  /** Whether a model of this name is loading now. */
  isLoading(id: string): boolean {
    return this.#loading.has(id);
  }

  /** Unloads a model now (it finishes what runs, within the grace period). Resolves once it is freed. */
  unload(id: string, reason: "keep_alive" | "evicted" | "deleted"): Promise<void> {
    const model = this.#loaded.get(id);
    if (model === undefined) return this.#unloads.get(id) ?? Promise.resolve();
    this.#loaded.delete(id);
    this.#options.metrics.modelUnloads.increment({ model: id, reason });
    this.#options.log({ model: id, reason }, "model unloaded");
    const done = model.unload(this.#options.settings.gracePeriodMs, unavailable("SHUTTING_DOWN", `The model "${id}" was unloaded`)).finally(() => this.#unloads.delete(id));
    this.#unloads.set(id, done);
    return done;
  }

  /** Shutdown, first half: no new loads or requests; running generations get `graceMs`, then are cancelled with `reason`. */
  async drain(graceMs: number, reason: unknown): Promise<void> {
    this.#abort.abort(reason);
    await Promise.allSettled([...this.#loading.values()]);
    await Promise.all([...this.#loaded.values()].map((model) => model.drain(graceMs, reason)));
  }

  /** Shutdown, second half: frees every model (they stay listed, disposed, for a last look). */
  async disposeAll(): Promise<void> {
    const models = [...this.#loaded.values()];
    await Promise.all([...models.map((model) => model.dispose()), ...this.#unloads.values()]);
  }

  #load(entry: CatalogEntry): Promise<LoadedModel> {
    let loading = this.#loading.get(entry.id);
    if (loading === undefined) {
      loading = this.#startLoad(entry).finally(() => this.#loading.delete(entry.id));
      this.#loading.set(entry.id, loading);
    }
    return loading;
  }

  async #startLoad(entry: CatalogEntry): Promise<LoadedModel> {
    const { settings, metrics } = this.#options;
    // An unload of the same model finishes first, so two copies are never in memory.
    await this.#unloads.get(entry.id);
    let estimatedBytes: number;
    try {
      estimatedBytes = await estimateModelBytes(entry.path, entry.stored?.sizeBytes, settings);
    } catch (error) {
      metrics.modelLoads.increment({ model: entry.id, result: "failed" });
      throw error;
    }
    await this.#makeRoom(entry, estimatedBytes);
    this.#reservedBytes += estimatedBytes;
    try {
      const model = await LoadedModel.load(entry, {
        settings,
        metrics,
        estimatedBytes,
        keepAliveMs: this.#options.defaultKeepAliveMs,
        signal: this.#abort.signal,
        onExpire: (expired) => void this.unload(expired.served.id, "keep_alive"),
      });
      if (this.#abort.signal.aborted) {
        await model.dispose();
        throw unavailable("SHUTTING_DOWN", "The server is shutting down");
      }
      this.#loaded.set(entry.id, model);
      metrics.modelLoads.increment({ model: entry.id, result: "loaded" });
      this.#options.log({ model: entry.id, estimatedBytes }, "model loaded");
      return model;
    } catch (error) {
      metrics.modelLoads.increment({ model: entry.id, result: "failed" });
      throw error;
    } finally {
      this.#reservedBytes -= estimatedBytes;
    }
  }

  /** Unloads idle models until this one fits, or refuses it (nothing is unloaded then). */
  async #makeRoom(entry: CatalogEntry, neededBytes: number): Promise<void> {
    const { settings, memory, metrics } = this.#options;
    const total = memory.totalBytes();
    const refuse = (error: RequestError) => {
      metrics.modelLoads.increment({ model: entry.id, result: "refused" });
      return error;
    };
    if (neededBytes > total) {
      throw refuse(insufficientMemory(entry.id, `it needs about ${formatBytes(neededBytes)} (weights + context), more than this machine's ${formatBytes(total)}`));
    }
    const loadsInFlight = this.#loading.size - 1;
    const slots = Math.max(0, this.#loaded.size + loadsInFlight + 1 - settings.maxLoadedModels);
    const bytes = neededBytes + this.#reservedBytes - memory.freeBytes();
    const candidates = [...this.#loaded.values()].map((model) => ({ id: model.served.id, busy: model.busy, lastUsedAt: model.lastUsedAt, estimatedBytes: model.estimatedBytes }));
    const victims = chooseEvictions(candidates, { slots, bytes });
    if (victims === undefined) {
      if (chooseEvictions(candidates, { slots, bytes: 0 }) === undefined) {
        throw refuse(new RequestError(503, "SERVER_BUSY", `Cannot load "${entry.id}" now: ${settings.maxLoadedModels} model(s) are loaded (--max-loaded-models) and all are busy; retry shortly`, { headers: { "retry-after": "5" } }));
      }
      throw refuse(insufficientMemory(entry.id, `it needs about ${formatBytes(neededBytes)} and only ${formatBytes(memory.freeBytes())} is free, even after unloading every idle model`));
    }
    await Promise.all(victims.map((id) => this.unload(id, "evicted")));
  }
}

function insufficientMemory(id: string, why: string): RequestError {
  return new RequestError(507, "INSUFFICIENT_MEMORY", `Cannot load "${id}": ${why}. See docs/SERVER.md, "Memory"`, { param: "model" });
}

/** A load that failed, as the answer every waiting request gets: the reason, without the server's file paths. */
function loadFailure(entry: CatalogEntry, error: unknown): MullamaError {
  if (error instanceof RequestError) return error;
  if (error instanceof MullamaError && error.code === "ABORTED") return unavailable("SHUTTING_DOWN", "The server is shutting down");
  const reason = error instanceof ModelLoadError ? error.reason : errorMessage(error);
  return new RequestError(500, "MODEL_FAILED", `The model "${entry.id}" cannot be loaded: ${reason}`, { param: "model" });
}
