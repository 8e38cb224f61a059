/**
 * One upstream engine behind the gateway: its OpenAI base URL, the models its `/v1/models`
 * lists, how busy it is, and whether it is healthy. An upstream is ejected (no request is
 * routed to it) after `ejectAfterFailures` consecutive failures, counting failed requests
 * (refused, reset, 5xx) and failed health checks alike; one health check that answers
 * brings it back. An upstream that cannot be reached at start is ejected from the start.
 */
import { RemoteBusyError, RemoteConnectionError, RemoteProtocolError, RemoteServerError } from "../../errors.js";
import { OpenAiEndpoint } from "../../remote/openaiClient.js";

export interface UpstreamSettings {
  /** OpenAI base URL without a trailing slash (`http://host:8000/v1`). */
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  /** Most requests sent to it at once; more wait in the model's queue. */
  readonly maxInFlight: number;
  /** Consecutive failures that eject it. */
  readonly ejectAfterFailures: number;
  /** Longest wait for its answer to start, and for each chunk, in milliseconds. */
  readonly timeoutMs: number;
  /** Longest wait for a health check's answer, in milliseconds: a hung engine fails its check instead of stalling the next ones. */
  readonly healthTimeoutMs: number;
}

/** Counters kept per upstream, for `/metrics` and `/health`. */
export interface UpstreamCounts {
  requests: number;
  errors: number;
  /** Requests that delivered a first token, and the sum of their times to it, in seconds. */
  firstTokens: number;
  firstTokenSeconds: number;
}

export class Upstream {
  readonly baseUrl: string;
  readonly endpoint: OpenAiEndpoint;
  readonly #healthEndpoint: OpenAiEndpoint;
  readonly maxInFlight: number;
  readonly counts: UpstreamCounts = { requests: 0, errors: 0, firstTokens: 0, firstTokenSeconds: 0 };
  /** Models its last answered `/models` listed (kept while it is ejected, so their names stay known). */
  models: readonly string[] = [];
  inFlight = 0;
  #healthy = false;
  #checked = false;
  #consecutiveFailures = 0;
  readonly #ejectAfterFailures: number;

  constructor(settings: UpstreamSettings) {
    this.baseUrl = settings.baseUrl;
    this.maxInFlight = settings.maxInFlight;
    this.#ejectAfterFailures = settings.ejectAfterFailures;
    this.endpoint = new OpenAiEndpoint({ baseUrl: settings.baseUrl, apiKey: settings.apiKey, headers: {}, timeoutMs: settings.timeoutMs });
    this.#healthEndpoint = new OpenAiEndpoint({ baseUrl: settings.baseUrl, apiKey: settings.apiKey, headers: {}, timeoutMs: settings.healthTimeoutMs });
  }

  /** Routed to: it answered its last health check and has not failed too often since. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Whether it can take one more request now. */
  get hasRoom(): boolean {
    return this.#healthy && this.inFlight < this.maxInFlight;
  }

  serves(model: string): boolean {
    return this.models.includes(model);
  }

  /**
   * Asks `/models`. An answer makes it healthy (an ejected upstream recovers) and updates
   * its models; a failure counts toward ejection, and ejects it at once if it never answered.
   * Resolves whether its health changed.
   */
  async check(): Promise<boolean> {
    const wasHealthy = this.#healthy;
    try {
      const list = (await this.#healthEndpoint.getJson("/models", "")) as { data?: { id?: unknown }[] };
      this.models = (Array.isArray(list?.data) ? list.data : []).map((entry) => entry?.id).filter((id): id is string => typeof id === "string");
      this.#consecutiveFailures = 0;
      this.#healthy = true;
    } catch {
      this.#fail();
      if (!this.#checked) this.#healthy = false;
    }
    this.#checked = true;
    return wasHealthy !== this.#healthy;
  }

  /** A request's try ended; a failure the engine is to blame for counts toward ejection. Resolves whether its health changed. */
  recordEnd(error: unknown): boolean {
    this.inFlight--;
    if (error === undefined) {
      this.#consecutiveFailures = 0;
      return false;
    }
    this.counts.errors++;
    const wasHealthy = this.#healthy;
    // A busy engine is working, and a request it rejected says nothing about its health.
    if (error instanceof RemoteConnectionError || error instanceof RemoteServerError || error instanceof RemoteProtocolError) this.#fail();
    else if (!(error instanceof RemoteBusyError)) this.#consecutiveFailures = 0;
    return wasHealthy !== this.#healthy;
  }

  #fail(): void {
    this.#consecutiveFailures++;
    if (this.#consecutiveFailures >= this.#ejectAfterFailures) this.#healthy = false;
  }
}
