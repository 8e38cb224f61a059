/**
 * `GET /health`: 200 once the server can serve requests, 503 while it starts (a server of
 * one model: while that model loads), after a failed start and while shutting down (load
 * balancers stop sending traffic). Open without an API key. The default model's figures
 * stay at the top level, as a server of one model has always answered; `models` lists
 * every model with its state (`loaded`, `loading`, `available`) and, when loaded, its
 * figures. A gateway adds `upstreams`: each upstream engine's health, models, requests in
 * flight and counts.
 * `GET /metrics`: Prometheus text format.
 */
import type { FastifyInstance } from "fastify";
import { prometheusContentType } from "../metrics.js";
import type { LoadedModel } from "../models/loadedModel.js";
import type { ServerPhase, ServerRuntime } from "../serverRuntime.js";

const statusOfPhase: Record<ServerPhase, string> = {
  created: "loading",
  loading: "loading",
  ready: "ok",
  closing: "shutting_down",
  closed: "shutting_down",
  failed: "failed",
};

export function registerHealthRoutes(app: FastifyInstance, runtime: ServerRuntime): void {
  app.get("/health", async (_request, reply) => {
    const registry = runtime.phase === "ready" ? runtime.registry : undefined;
    void reply.code(registry === undefined ? 503 : 200);
    if (registry === undefined) return { status: statusOfPhase[runtime.phase] };
    const entries = await registry.catalog.list();
    const defaultId = entries[0]?.id;
    const defaultModel = defaultId === undefined ? undefined : registry.loadedModel(defaultId);
    return {
      status: statusOfPhase[runtime.phase],
      ...(defaultModel === undefined ? {} : { model: defaultModel.served.id, ...figures(defaultModel) }),
      models: entries.map((entry) => {
        const loaded = registry.loadedModel(entry.id);
        if (loaded !== undefined) return { name: entry.id, state: "loaded", ...figures(loaded) };
        return { name: entry.id, state: registry.isLoading(entry.id) ? "loading" : "available" };
      }),
      // A gateway's upstream engines: health (ejected ones are not routed to), load, counts.
      ...(runtime.upstreams === undefined ? {} : { upstreams: runtime.upstreams.status() }),
    };
  });

  app.get("/metrics", async (_request, reply) => reply.type(prometheusContentType).send(runtime.metrics.render()));
}

function figures(model: LoadedModel) {
  return {
    parallel: model.context.sequences,
    contextSize: model.context.contextSize,
    busySequences: model.context.busySequences,
    queuedGenerations: model.context.waitingGenerations,
  };
}
