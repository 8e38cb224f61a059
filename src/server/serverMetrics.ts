/**
 * The metrics `GET /metrics` exposes. Latencies are in seconds, as Prometheus expects.
 * Route labels use the route's pattern (`/v1/chat/completions`), and every unknown path
 * shares `unmatched`, so random URLs cannot grow the number of series.
 */
import { Counter, Gauge, Histogram, MetricsRegistry, type GaugeSeries } from "./metrics.js";

/** Live values the gauges read at scrape time. */
export interface MetricsSources {
  busySequences(): number;
  queuedGenerations(): number;
  parallelSequences(): number;
  webSocketConnections(): number;
  /** Per loaded model: 1 while loaded, its busy sequences, its queued generations. */
  loadedModels?(): readonly { model: string; busySequences: number; queuedGenerations: number }[];
  /** Per upstream engine of a gateway: its URL, health, requests in flight and counts so far. */
  upstreams?(): readonly UpstreamFigures[];
}

/** What the metrics read of one upstream. */
export interface UpstreamFigures {
  readonly url: string;
  readonly healthy: boolean;
  readonly inFlight: number;
  readonly requests: number;
  readonly errors: number;
  readonly firstTokens: number;
  readonly firstTokenSeconds: number;
}

export class ServerMetrics {
  readonly registry = new MetricsRegistry();
  readonly requests = this.registry.register(new Counter("mullama_http_requests_total", "HTTP requests answered, by method, route and status."));
  readonly generations = this.registry.register(new Counter("mullama_generations_total", "Generations finished, by stop reason."));
  readonly generatedTokens = this.registry.register(new Counter("mullama_generated_tokens_total", "Tokens generated."));
  readonly promptTokens = this.registry.register(new Counter("mullama_prompt_tokens_total", "Prompt tokens, cached ones included."));
  readonly cachedPromptTokens = this.registry.register(new Counter("mullama_prompt_tokens_cached_total", "Prompt tokens reused from a sequence's cache instead of evaluated."));
  readonly modelGenerations = this.registry.register(new Counter("mullama_model_generations_total", "Generations finished, by model and stop reason."));
  readonly modelGeneratedTokens = this.registry.register(new Counter("mullama_model_generated_tokens_total", "Tokens generated, by model."));
  readonly modelLoads = this.registry.register(new Counter("mullama_model_loads_total", "Model loads, by model and result (loaded, failed, refused)."));
  readonly modelUnloads = this.registry.register(new Counter("mullama_model_unloads_total", "Model unloads, by model and reason (keep_alive, evicted, deleted)."));
  readonly embeddingInputs = this.registry.register(new Counter("mullama_embedding_inputs_total", "Inputs embedded, by model."));
  readonly timeToFirstToken = this.registry.register(
    new Histogram("mullama_time_to_first_token_seconds", "From the request to its first generated token, queueing included.", [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]),
  );
  readonly interTokenLatency = this.registry.register(
    new Histogram("mullama_inter_token_latency_seconds", "Time between consecutive generated tokens of one generation.", [
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    ]),
  );

  constructor(sources: MetricsSources) {
    this.registry.register(new Gauge("mullama_queue_depth", "Generations waiting for a free sequence.", sources.queuedGenerations));
    this.registry.register(new Gauge("mullama_sequences_busy", "Sequences generating right now.", sources.busySequences));
    this.registry.register(new Gauge("mullama_sequences", "Parallel sequences of the context (--parallel).", sources.parallelSequences));
    this.registry.register(new Gauge("mullama_websocket_connections", "Open WebSocket connections.", sources.webSocketConnections));
    const perModel = (read: (model: ReturnType<NonNullable<MetricsSources["loadedModels"]>>[number]) => number) => (): GaugeSeries[] =>
      (sources.loadedModels?.() ?? []).map((model) => ({ labels: { model: model.model }, value: read(model) }));
    this.registry.register(new Gauge("mullama_model_loaded", "1 for each model loaded now.", perModel(() => 1)));
    this.registry.register(new Gauge("mullama_model_sequences_busy", "Sequences generating right now, by model.", perModel((model) => model.busySequences)));
    this.registry.register(new Gauge("mullama_model_queue_depth", "Generations waiting for a free sequence, by model.", perModel((model) => model.queuedGenerations)));
    const perUpstream = (read: (upstream: UpstreamFigures) => number) => (): GaugeSeries[] => (sources.upstreams?.() ?? []).map((upstream) => ({ labels: { upstream: upstream.url }, value: read(upstream) }));
    this.registry.register(new Gauge("mullama_upstream_healthy", "1 for each upstream engine routed to now, 0 for an ejected one.", perUpstream((upstream) => (upstream.healthy ? 1 : 0))));
    this.registry.register(new Gauge("mullama_upstream_in_flight", "Requests sent to each upstream engine and not finished.", perUpstream((upstream) => upstream.inFlight)));
    this.registry.register(new Gauge("mullama_upstream_requests_total", "Requests (tries, failovers included) sent to each upstream engine.", perUpstream((upstream) => upstream.requests), "counter"));
    this.registry.register(new Gauge("mullama_upstream_errors_total", "Requests to each upstream engine that failed (refused, busy, 5xx, broken).", perUpstream((upstream) => upstream.errors), "counter"));
    this.registry.register(new Gauge("mullama_upstream_first_tokens_total", "Requests to each upstream engine that delivered a first token.", perUpstream((upstream) => upstream.firstTokens), "counter"));
    this.registry.register(
      new Gauge("mullama_upstream_time_to_first_token_seconds_total", "Sum of the times to first token of each upstream engine's requests, from the try's start (divide by mullama_upstream_first_tokens_total for the mean).", perUpstream((upstream) => upstream.firstTokenSeconds), "counter"),
    );
  }

  render(): string {
    return this.registry.render();
  }
}
