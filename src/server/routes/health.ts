/**
 * `GET /health`: 200 once the model is loaded, 503 while loading, after a failed load
 * and while shutting down (load balancers stop sending traffic). Open without an API key.
 * `GET /metrics`: Prometheus text format.
 */
import type { FastifyInstance } from "fastify";
import { prometheusContentType } from "../metrics.js";
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
    const loaded = runtime.phase === "ready" ? runtime.loaded : undefined;
    void reply.code(loaded === undefined ? 503 : 200);
    return {
      status: statusOfPhase[runtime.phase],
      ...(loaded === undefined
        ? {}
        : {
            model: loaded.served.id,
            parallel: loaded.context.sequences,
            contextSize: loaded.context.contextSize,
            busySequences: loaded.context.busySequences,
            queuedGenerations: loaded.context.waitingGenerations,
          }),
    };
  });

  app.get("/metrics", async (_request, reply) => reply.type(prometheusContentType).send(runtime.metrics.render()));
}
