/**
 * What the routes share: the server's phase, the model registry (once the server has
 * started), the metrics and the settings. Routes take a model for a request with
 * `modelForRequest`: it answers a 503 in the route's own error shape while the server
 * is starting or closing, a 404 for a name it does not serve, and otherwise the model,
 * loaded (waiting for its load when needed) and held until the response is over.
 */
import type { FastifyReply } from "fastify";
import { unavailable } from "./httpErrors.js";
import type { KeepAliveMs } from "./models/keepAlive.js";
import type { LoadedModel } from "./models/loadedModel.js";
import type { ModelRegistry, ServingModel } from "./models/modelRegistry.js";
import type { UpstreamFleet } from "./upstreams/upstreamFleet.js";
import { ResumableStreams } from "./resumableStreams.js";
import type { ResolvedServerOptions } from "./serverOptions.js";
import { ServerMetrics } from "./serverMetrics.js";

export type { LoadedModel, ServingModel };

/** `created` -> `loading` (listening, not ready) -> `ready` -> `closing` -> `closed`; `failed` when starting failed. */
export type ServerPhase = "created" | "loading" | "ready" | "closing" | "closed" | "failed";

export class ServerRuntime {
  readonly settings: ResolvedServerOptions;
  readonly metrics: ServerMetrics;
  /** Native SSE streams that can be resumed after a disconnect. */
  readonly resumableStreams: ResumableStreams;
  phase: ServerPhase = "created";
  registry: ModelRegistry | undefined;
  /** The upstream engines of a gateway (`--upstream`), once the server has started. */
  upstreams: UpstreamFleet | undefined;
  webSocketConnections = 0;

  constructor(settings: ResolvedServerOptions) {
    this.settings = settings;
    this.resumableStreams = new ResumableStreams({ windowMs: settings.resumeWindowMs, maxDetachedStreams: settings.maxDetachedStreams, maxBufferBytes: settings.resumeBufferBytes });
    const loaded = () => this.registry?.loaded ?? [];
    this.metrics = new ServerMetrics({
      busySequences: () => loaded().reduce((sum, model) => sum + model.context.busySequences, 0),
      queuedGenerations: () => loaded().reduce((sum, model) => sum + model.context.waitingGenerations, 0),
      parallelSequences: () => settings.parallel,
      webSocketConnections: () => this.webSocketConnections,
      loadedModels: () => loaded().map((model) => ({ model: model.served.id, busySequences: model.context.busySequences, queuedGenerations: model.context.waitingGenerations })),
      upstreams: () => (this.upstreams?.upstreams ?? []).map((upstream) => ({ url: upstream.baseUrl, healthy: upstream.healthy, inFlight: upstream.inFlight, ...upstream.counts })),
    });
  }

  /** The registry once requests can be served, or a 503 (`MODEL_LOADING`, `SHUTTING_DOWN`, `MODEL_FAILED`). */
  ready(): ModelRegistry {
    if (this.phase === "ready" && this.registry !== undefined) return this.registry;
    if (this.phase === "closing" || this.phase === "closed") throw unavailable("SHUTTING_DOWN", "The server is shutting down");
    if (this.phase === "failed") throw unavailable("MODEL_FAILED", "The model failed to load; see the server log");
    throw unavailable("MODEL_LOADING", "The model is still loading; retry shortly");
  }

  /**
   * The model `name` names (the default model when undefined), held until the response
   * ends; `keepAliveMs` (a request's `keep_alive`) becomes its keep-alive.
   */
  async modelForRequest(reply: FastifyReply, name: string | undefined, keepAliveMs?: KeepAliveMs | null): Promise<ServingModel> {
    const lease = await this.ready().acquire(name, keepAliveMs ?? undefined);
    const response = reply.raw;
    if (response.destroyed || response.writableFinished) lease.release();
    else response.once("close", lease.release);
    return lease.model;
  }
}
