/**
 * What the routes share: the server's phase, the loaded model with its context and
 * scheduler (once loading is done), the metrics and the settings. Routes ask `ready()`
 * for the model and get a 503 in their own error shape while it is loading or closing.
 */
import type { Context } from "../context/Context.js";
import type { ChatPromptRenderer } from "../model/chatPrompt.js";
import { modelNotFound, unavailable } from "./httpErrors.js";
import type { GenerationScheduler } from "./scheduler.js";
import { isServedModel, type ServedModel } from "./servedModel.js";
import type { ResolvedServerOptions } from "./serverOptions.js";
import { ServerMetrics } from "./serverMetrics.js";

/** `created` -> `loading` (listening, model not ready) -> `ready` -> `closing` -> `closed`; `failed` when loading failed. */
export type ServerPhase = "created" | "loading" | "ready" | "closing" | "closed" | "failed";

export interface LoadedModel {
  readonly served: ServedModel;
  readonly context: Context;
  readonly scheduler: GenerationScheduler;
  readonly chat: ChatPromptRenderer;
}

export class ServerRuntime {
  readonly settings: ResolvedServerOptions;
  readonly metrics: ServerMetrics;
  phase: ServerPhase = "created";
  loaded: LoadedModel | undefined;
  webSocketConnections = 0;

  constructor(settings: ResolvedServerOptions) {
    this.settings = settings;
    this.metrics = new ServerMetrics({
      busySequences: () => this.loaded?.context.busySequences ?? 0,
      queuedGenerations: () => this.loaded?.context.waitingGenerations ?? 0,
      parallelSequences: () => settings.parallel,
      webSocketConnections: () => this.webSocketConnections,
    });
  }

  /** The loaded model, or a 503 (`MODEL_LOADING`, `SHUTTING_DOWN`, `MODEL_FAILED`). */
  ready(): LoadedModel {
    if (this.phase === "ready" && this.loaded !== undefined) return this.loaded;
    if (this.phase === "closing" || this.phase === "closed") throw unavailable("SHUTTING_DOWN", "The server is shutting down");
    if (this.phase === "failed") throw unavailable("MODEL_FAILED", "The model failed to load; see the server log");
    throw unavailable("MODEL_LOADING", "The model is still loading; retry shortly");
  }

  /** The loaded model when `name` (a request's `model` field) names it; a 404 otherwise. */
  readyFor(name: string): LoadedModel {
    const loaded = this.ready();
    if (!isServedModel(loaded.served, name)) throw modelNotFound(name, loaded.served.id);
    return loaded;
  }
}
