/**
 * One model in memory on the server: its Model, the context and scheduler that serve its
 * generations, its chat renderer and, made on first use, its embedding context. Requests
 * hold it with a lease; once it is idle (no lease, no generation in flight) its keep-alive
 * clock runs, and at the end the registry unloads it. A request's `keep_alive` replaces
 * the model's, as in Ollama.
 */
import { Context } from "../../context/Context.js";
import { EmbeddingContext } from "../../embedding/EmbeddingContext.js";
import { ChatPromptRenderer } from "../../model/chatPrompt.js";
import { Model } from "../../model/Model.js";
import { GenerationScheduler } from "../scheduler.js";
import { describeServedModel, type ServedModel } from "../servedModel.js";
import type { ResolvedServerOptions } from "../serverOptions.js";
import type { ServerMetrics } from "../serverMetrics.js";
import type { CatalogEntry } from "./modelCatalog.js";
import type { KeepAliveMs } from "./keepAlive.js";

/** How long generations cancelled by an unload get to end, in milliseconds. */
const cancelTimeoutMs = 5_000;
/** The longest delay setTimeout honours. */
const maxTimerMs = 2 ** 31 - 1;

export class LoadedModel {
  /** What the catalog says of it. */
  readonly entry: CatalogEntry;
  readonly served: ServedModel;
  readonly context: Context;
  readonly scheduler: GenerationScheduler;
  readonly chat: ChatPromptRenderer;
  /** The memory estimate it was admitted with, in bytes. */
  readonly estimatedBytes: number;
  readonly #ownsModel: boolean;
  readonly #settings: ResolvedServerOptions;
  readonly #onExpire: (model: LoadedModel) => void;
  #leases = 0;
  #keepAliveMs: KeepAliveMs;
  #timer: NodeJS.Timeout | undefined;
  #expiresAt: number | undefined;
  #embeddings: Promise<EmbeddingContext> | undefined;
  #unloading: Promise<void> | undefined;
  #draining = false;
  /** When a request last took it (performance.now()), for least-recently-used eviction. */
  lastUsedAt = performance.now();

  private constructor(init: { entry: CatalogEntry; served: ServedModel; context: Context; chat: ChatPromptRenderer; ownsModel: boolean; estimatedBytes: number; settings: ResolvedServerOptions; metrics: ServerMetrics; keepAliveMs: KeepAliveMs; onExpire: (model: LoadedModel) => void }) {
    this.entry = init.entry;
    this.served = init.served;
    this.context = init.context;
    this.chat = init.chat;
    this.estimatedBytes = init.estimatedBytes;
    this.#ownsModel = init.ownsModel;
    this.#settings = init.settings;
    this.#keepAliveMs = init.keepAliveMs;
    this.#onExpire = init.onExpire;
    this.scheduler = new GenerationScheduler(init.context, init.metrics, { maxQueue: init.settings.maxQueue, model: init.served.id, onIdle: () => this.#startClock() });
  }

  /** Loads the entry's model (unless the app shared one) and its context. */
  static async load(
    entry: CatalogEntry,
    init: { settings: ResolvedServerOptions; metrics: ServerMetrics; estimatedBytes: number; keepAliveMs: KeepAliveMs; signal: AbortSignal; onExpire: (model: LoadedModel) => void },
  ): Promise<LoadedModel> {
    const { settings } = init;
    const model = entry.model ?? (await Model.load(entry.path, { gpu: settings.gpu, probe: settings.probe, signal: init.signal }));
    const ownsModel = entry.model === undefined;
    try {
      const context = await Context.create(model, {
        sequences: settings.parallel,
        ...(settings.contextSize === undefined ? {} : { contextSize: settings.contextSize }),
        ...(settings.threads === undefined ? {} : { threads: settings.threads }),
        ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
        promptLookup: settings.promptLookup,
      });
      try {
        const chat = ChatPromptRenderer.create(model, settings.chatTemplate);
        const served = await describeServedModel(model, entry.id);
        const loaded = new LoadedModel({ ...init, entry, served, context, chat, ownsModel });
        loaded.#startClock();
        return loaded;
      } catch (error) {
        await context.dispose();
        throw error;
      }
    } catch (error) {
      if (ownsModel) await model.dispose();
      throw error;
    }
  }

  /** A request is using it: no unload until `release()`; `keepAliveMs` (when given) becomes its keep-alive. */
  acquire(keepAliveMs: KeepAliveMs | undefined): () => void {
    this.#leases++;
    this.lastUsedAt = performance.now();
    if (keepAliveMs !== undefined) this.#keepAliveMs = keepAliveMs;
    this.#stopClock();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#leases--;
      this.lastUsedAt = performance.now();
      this.#startClock();
    };
  }

  /** A request holds it or a generation is in flight: it is not evicted. */
  get busy(): boolean {
    return this.#leases > 0 || this.scheduler.inFlight > 0;
  }

  /** Being unloaded (or drained at shutdown): it takes no new requests. */
  get unloading(): boolean {
    return this.#draining;
  }

  /** When it will be unloaded if no request comes: undefined for never; while busy, its keep-alive from now. */
  get expiresAt(): Date | undefined {
    if (this.#keepAliveMs === Infinity) return undefined;
    return new Date(this.busy ? Date.now() + this.#keepAliveMs : (this.#expiresAt ?? Date.now()));
  }

  /** The embedding context, created on first use (as large as a generation context, with the server's threads). */
  embeddings(): Promise<EmbeddingContext> {
    this.#embeddings ??= EmbeddingContext.create(this.context.model, {
      contextSize: this.context.contextSize,
      ...(this.#settings.threads === undefined ? {} : { threads: this.#settings.threads }),
    }).catch((error: unknown) => {
      this.#embeddings = undefined;
      throw error;
    });
    return this.#embeddings;
  }

  /**
   * Frees it: no new generations; running ones get `graceMs` to finish, then are cancelled
   * with `reason`. The model itself is disposed unless the app shared it.
   */
  unload(graceMs: number, reason: unknown): Promise<void> {
    this.#unloading ??= this.drain(graceMs, reason).then(() => this.dispose());
    return this.#unloading;
  }

  /** Stops admitting generations and waits (at most `graceMs`) for the running ones, then cancels what is left with `reason`. */
  async drain(graceMs: number, reason: unknown): Promise<void> {
    this.#draining = true;
    this.#stopClock();
    this.scheduler.stopAdmitting();
    if (!(await this.scheduler.whenIdle(graceMs))) {
      this.scheduler.cancelAll(reason);
      await this.scheduler.whenIdle(cancelTimeoutMs);
    }
  }

  /** Frees its contexts, and its model unless the app shared it. */
  async dispose(): Promise<void> {
    this.#draining = true;
    this.#stopClock();
    const embeddings = await this.#embeddings?.catch(() => undefined);
    await embeddings?.dispose();
    await this.context.dispose();
    if (this.#ownsModel) await this.context.model.dispose();
  }

  #startClock(): void {
    if (this.busy || this.#draining) return;
    this.#stopClock();
    if (this.#keepAliveMs === Infinity) return;
    this.#expiresAt = Date.now() + this.#keepAliveMs;
    this.#arm();
  }

  /** Timers hold at most about 24.8 days: a longer keep-alive is waited out in steps. */
  #arm(): void {
    const remaining = (this.#expiresAt ?? Date.now()) - Date.now();
    this.#timer = setTimeout(() => (Date.now() >= (this.#expiresAt ?? 0) ? this.#onExpire(this) : this.#arm()), Math.max(0, Math.min(remaining, maxTimerMs)));
    this.#timer.unref();
  }

  #stopClock(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#expiresAt = undefined;
  }
}
