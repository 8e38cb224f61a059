/**
 * The upstream engines a gateway fronts (`--upstream`), and the models they serve. Each
 * upstream's `/v1/models` is read at start and at every health check, so a model name maps
 * to the upstreams that list it. A request for such a model is routed per try
 * (upstreamRouting.ts): when every upstream serving it is full, the try waits for room
 * (the model's scheduler bounds how many wait); when one fails before the first token, the
 * next try goes to another one (failover).
 */
import { RequestError } from "../../errors.js";
import type { OpenAiEndpoint } from "../../remote/openaiClient.js";
import type { RequestRouter, RouteChoice, RoutedRequest } from "../../remote/requestRouter.js";
import type { ServerMetrics } from "../serverMetrics.js";
import { Upstream, type UpstreamSettings } from "./upstream.js";
import { UpstreamModel } from "./upstreamModel.js";
import { affinityKey, chooseUpstream } from "./upstreamRouting.js";

export interface FleetSettings {
  /** OpenAI base URLs, without trailing slashes. */
  readonly urls: readonly string[];
  readonly upstream: Omit<UpstreamSettings, "baseUrl" | "healthTimeoutMs">;
  /** Time between health checks (each upstream's `/models`), in milliseconds. */
  readonly healthIntervalMs: number;
  /** Characters (or token ids) of a prompt's start that decide its upstream; 0 turns affinity off. */
  readonly affinityPrefixLength: number;
  /** Requests of one model that may wait for room beyond those in flight. */
  readonly maxQueue: number;
}

/** What /health shows of one upstream. */
export interface UpstreamStatus {
  url: string;
  healthy: boolean;
  models: readonly string[];
  inFlight: number;
  maxInFlight: number;
  requests: number;
  errors: number;
  /** Mean time to first token of its requests, in milliseconds; null before the first. */
  meanTimeToFirstTokenMs: number | null;
}

export class UpstreamFleet {
  readonly upstreams: readonly Upstream[];
  readonly #settings: FleetSettings;
  readonly #metrics: ServerMetrics;
  readonly #models = new Map<string, UpstreamModel>();
  #waiters: (() => void)[] = [];
  /** Requests routed so far: takes turns among equally busy upstreams. */
  #turn = 0;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(settings: FleetSettings, metrics: ServerMetrics) {
    this.#settings = settings;
    this.#metrics = metrics;
    // A health check may take as long as the interval between checks, and at least a second.
    const healthTimeoutMs = Math.max(1_000, settings.healthIntervalMs);
    this.upstreams = settings.urls.map((baseUrl) => new Upstream({ ...settings.upstream, baseUrl, healthTimeoutMs }));
  }

  /** Checks every upstream once (those that do not answer are ejected), then keeps checking every interval. */
  async start(): Promise<void> {
    await this.checkNow();
    this.#timer = setInterval(() => void this.checkNow(), this.#settings.healthIntervalMs);
    this.#timer.unref();
  }

  /** One round of health checks (a round already running is joined, not doubled). */
  checkNow(): Promise<void> {
    this.#checking ??= Promise.all(this.upstreams.map((upstream) => upstream.check()))
      .then(() => this.#wake())
      .finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  /** Every model some upstream lists, in the order of the upstreams. */
  get modelNames(): string[] {
    return [...new Set(this.upstreams.flatMap((upstream) => upstream.models))];
  }

  /** The model a request names (`name` or `name:latest`; undefined for the first listed), or undefined when no upstream lists it. */
  model(requested: string | undefined): UpstreamModel | undefined {
    const names = this.modelNames;
    const bare = requested?.endsWith(":latest") ? requested.slice(0, -":latest".length) : requested;
    const name = requested === undefined ? names[0] : names.find((each) => each === requested || each === bare);
    if (name === undefined) return undefined;
    let model = this.#models.get(name);
    if (model === undefined) {
      const capacity = () => this.#capacity(name);
      model = new UpstreamModel(name, this.#router(name), {
        metrics: this.#metrics,
        maxQueue: this.#settings.maxQueue,
        capacity,
        retries: this.upstreams.length,
        // Refused before a response starts, so the client gets a 503 status, not an in-stream error.
        whyUnavailable: () => (capacity() === 0 ? noUpstream(name, this.#settings.healthIntervalMs) : undefined),
      });
      this.#models.set(name, model);
    }
    return model;
  }

  /** The models requests have used so far. */
  get activeModels(): UpstreamModel[] {
    return [...this.#models.values()];
  }

  status(): UpstreamStatus[] {
    return this.upstreams.map((upstream) => ({
      url: upstream.baseUrl,
      healthy: upstream.healthy,
      models: upstream.models,
      inFlight: upstream.inFlight,
      maxInFlight: upstream.maxInFlight,
      requests: upstream.counts.requests,
      errors: upstream.counts.errors,
      meanTimeToFirstTokenMs: upstream.counts.firstTokens === 0 ? null : (upstream.counts.firstTokenSeconds / upstream.counts.firstTokens) * 1000,
    }));
  }

  /** Shutdown: no more health checks; running generations get `graceMs`, then are cancelled with `reason`. */
  async drain(graceMs: number, reason: unknown): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.activeModels.map((model) => model.drain(graceMs, reason)));
  }

  /** Requests of `model` that can be in flight at once: the room of its healthy upstreams. */
  #capacity(model: string): number {
    return this.upstreams.filter((upstream) => upstream.healthy && upstream.serves(model)).reduce((sum, upstream) => sum + upstream.maxInFlight, 0);
  }

  #router(model: string): RequestRouter {
    return { choose: (request) => this.#choose(model, request) };
  }

  async #choose(model: string, request: RoutedRequest): Promise<RouteChoice> {
    const key = affinityKey(request.body, this.#settings.affinityPrefixLength);
    for (;;) {
      const candidates = this.upstreams.filter((upstream) => upstream.healthy && upstream.serves(model) && !hasFailed(upstream, request.failedEndpoints));
      if (candidates.length === 0) {
        if (request.previousError !== undefined) throw request.previousError;
        throw noUpstream(model, this.#settings.healthIntervalMs);
      }
      const chosen = chooseUpstream(candidates, key, this.#turn++);
      if (chosen !== undefined) return this.#take(chosen);
      await this.#changed(request.signal);
    }
  }

  #take(upstream: Upstream): RouteChoice {
    const started = performance.now();
    upstream.inFlight++;
    upstream.counts.requests++;
    let ended = false;
    return {
      endpoint: upstream.endpoint,
      firstToken: () => {
        upstream.counts.firstTokens++;
        upstream.counts.firstTokenSeconds += (performance.now() - started) / 1000;
      },
      end: (error) => {
        if (ended) return;
        ended = true;
        upstream.recordEnd(error);
        this.#wake();
      },
    };
  }

  /** Resolves at the next change that may make room: a try ending, a health check. Rejects when `signal` fires. */
  #changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== wake);
        reject(signal.reason);
      };
      const wake = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(wake);
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

function hasFailed(upstream: Upstream, failed: readonly OpenAiEndpoint[]): boolean {
  return failed.includes(upstream.endpoint);
}

/** No healthy upstream serves the model: a 503 that suggests retrying after the next health check. */
function noUpstream(model: string, healthIntervalMs: number): RequestError {
  return new RequestError(503, "NO_UPSTREAM", `No healthy upstream serves "${model}" now; retry shortly`, { param: "model", headers: { "retry-after": String(Math.max(1, Math.ceil(healthIntervalMs / 1000))) } });
}
