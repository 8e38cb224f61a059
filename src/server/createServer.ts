/**
 * The server's lifetime: `createServer(options)` builds it, `listen()` binds the port and
 * then resolves the models it serves; a server of one model loads it then (so `/health`
 * answers 503 while it loads), a server of several loads each on first use (see
 * models/modelRegistry.ts). `close()` shuts it down gracefully: stop accepting, let running
 * generations finish within the grace period, cancel the rest (each stream gets a final
 * event), close WebSockets, free every context and the models it loaded. An app or a
 * benchmark can run it in-process, and share a Model.
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Context } from "../context/Context.js";
import { InvalidArgumentError } from "../errors.js";
import { createHttpApp } from "./httpApp.js";
import { cancelledByShutdown } from "./httpErrors.js";
import { registerEmbeddingsRoute } from "./routes/embeddings.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerNativeSseRoute } from "./routes/nativeSse.js";
import { registerOllamaRoutes } from "./routes/ollama.js";
import { registerOllamaEmbedRoutes } from "./routes/ollamaEmbed.js";
import { registerOllamaModelRoutes } from "./routes/ollamaModelRoutes.js";
import { registerOllamaPullRoute } from "./routes/ollamaPull.js";
import { registerOpenAiRoutes } from "./routes/openai.js";
import { registerResponsesRoute } from "./routes/responses.js";
import { registerWebSocketRoute, type WebSocketRoute } from "./routes/websocket.js";
import { registerWebUiRoutes } from "./routes/webUi.js";
import { systemMemory } from "./models/memoryEstimate.js";
import { ModelCatalog } from "./models/modelCatalog.js";
import { ModelRegistry } from "./models/modelRegistry.js";
import { UpstreamFleet } from "./upstreams/upstreamFleet.js";
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from "./serverOptions.js";
import { ServerRuntime, type ServerPhase } from "./serverRuntime.js";

/** Where the server listens. */
export interface ServerAddress {
  /** Base URL, for example `http://127.0.0.1:8080`. */
  url: string;
  host: string;
  port: number;
}

/** How long idle keep-alive connections may linger once every stream has ended, in milliseconds. */
const connectionDrainMs = 1_000;

/** Creates a server; nothing is bound or loaded until `listen()`. */
export function createServer(options: ServerOptions = {}): MullamaServer {
  return MullamaServer.create(resolveServerOptions(options));
}

export class MullamaServer {
  readonly #settings: ResolvedServerOptions;
  readonly #runtime: ServerRuntime;
  readonly #app: FastifyInstance;
  readonly #webSockets: WebSocketRoute;
  #loading: Promise<void> | undefined;
  #address: ServerAddress | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link createServer}. */
  static create(settings: ResolvedServerOptions): MullamaServer {
    return new MullamaServer(settings);
  }

  private constructor(settings: ResolvedServerOptions) {
    this.#settings = settings;
    this.#runtime = new ServerRuntime(settings);
    const { app, cors, apiKey } = createHttpApp(this.#runtime);
    registerHealthRoutes(app, this.#runtime);
    registerOpenAiRoutes(app, this.#runtime);
    registerResponsesRoute(app, this.#runtime);
    registerEmbeddingsRoute(app, this.#runtime);
    registerOllamaRoutes(app, this.#runtime);
    registerOllamaEmbedRoutes(app, this.#runtime);
    registerOllamaModelRoutes(app, this.#runtime);
    registerOllamaPullRoute(app, this.#runtime);
    registerNativeSseRoute(app, this.#runtime);
    if (settings.ui) registerWebUiRoutes(app);
    this.#webSockets = registerWebSocketRoute(app, this.#runtime, cors, apiKey);
    this.#app = app;
  }

  /** `created`, `loading` (listening, models not resolved or the single model not loaded), `ready`, `closing`, `closed`, or `failed`. */
  get phase(): ServerPhase {
    return this.#runtime.phase;
  }

  /** Where it listens, once `listen()` has bound the port. */
  get address(): ServerAddress | undefined {
    return this.#address;
  }

  /** The context serving the default model's requests, while it is loaded (for in-process use next to the server, and benchmarks). */
  get context(): Context | undefined {
    const registry = this.#runtime.registry;
    const first = registry?.catalog.named[0];
    return first === undefined ? registry?.loaded[0]?.context : registry?.loadedModel(first.id)?.context;
  }

  /** The model registry, once `listen()` has resolved the models: what is loaded, and loading or unloading by hand. */
  get models(): ModelRegistry | undefined {
    return this.#runtime.registry;
  }

  /** A gateway's upstream engines (`upstreams`), once `listen()` has checked them: their health, models and counts. */
  get upstreams(): UpstreamFleet | undefined {
    return this.#runtime.upstreams;
  }

  /** The underlying Fastify instance, to add routes before `listen()`. */
  get fastify(): FastifyInstance {
    return this.#app;
  }

  /** The metrics in Prometheus text format, as `GET /metrics` returns them. */
  metricsText(): string {
    return this.#runtime.metrics.render();
  }

  /**
   * Binds the port, then loads the model; resolves once requests can be served. Rejects
   * (and closes) when the port cannot be bound or the model cannot be loaded. `port` and
   * `host` override the options given to createServer.
   */
  async listen(overrides: { port?: number; host?: string } = {}): Promise<ServerAddress> {
    if (this.#runtime.phase !== "created") throw new InvalidArgumentError("listen", `the server is ${this.#runtime.phase}; listen() can be called once`);
    this.#runtime.phase = "loading";
    const host = overrides.host ?? this.#settings.host;
    try {
      // Bound is not ready: the model loads next, and may still fail ("mullama server ready" follows a load that worked).
      await this.#app.listen({ port: overrides.port ?? this.#settings.port, host, listenTextResolver: (address) => `bound ${address}; loading the model` });
    } catch (error) {
      this.#runtime.phase = "failed";
      throw error;
    }
    const { port } = this.#app.server.address() as AddressInfo;
    this.#address = { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, host, port };
    try {
      this.#loading = this.#load();
      await this.#loading;
    } catch (error) {
      if (this.#runtime.phase === "loading") this.#runtime.phase = "failed";
      await this.close();
      throw error;
    }
    return this.#address;
  }

  /** Shuts down gracefully (see the module comment). Safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #load(): Promise<void> {
    const settings = this.#settings;
    const catalog = await ModelCatalog.create(settings.models, { store: settings.store, serveStore: settings.serveStore, name: settings.modelName });
    const upstreams = settings.upstreams.length === 0 ? undefined : this.#upstreamFleet();
    this.#runtime.upstreams = upstreams;
    // Upstreams that do not answer now are ejected, and recover at a later health check.
    await upstreams?.start();
    const registry = new ModelRegistry(catalog, {
      upstreams,
      settings,
      metrics: this.#runtime.metrics,
      memory: systemMemory,
      defaultKeepAliveMs: settings.keepAliveMs,
      log: (fields, message) => this.#app.log.info(fields, message),
    });
    this.#runtime.registry = registry;
    // One model and nothing else to serve: load it now, as a server of one model always has.
    const first = catalog.single ? await registry.preload(catalog.named[0]!) : undefined;
    if (this.#runtime.phase !== "loading") return;
    this.#runtime.phase = "ready";
    const served = (await catalog.list()).map((entry) => entry.id);
    const upstreamModels = upstreams === undefined ? {} : { upstreams: upstreams.status().map(({ url, healthy, models }) => ({ url, healthy, models })) };
    this.#app.log.info({ url: this.#address?.url, models: served, parallel: settings.parallel, contextSize: first?.context.contextSize, ...upstreamModels }, "mullama server ready");
  }

  #upstreamFleet(): UpstreamFleet {
    const settings = this.#settings;
    return new UpstreamFleet(
      {
        urls: settings.upstreams,
        upstream: { apiKey: settings.upstreamApiKey, maxInFlight: settings.upstreamMaxInFlight, ejectAfterFailures: settings.upstreamEjectAfterFailures, timeoutMs: settings.upstreamTimeoutMs },
        healthIntervalMs: settings.upstreamHealthIntervalMs,
        affinityPrefixLength: settings.affinityPrefixLength,
        maxQueue: settings.maxQueue,
      },
      this.#runtime.metrics,
    );
  }

  async #shutdown(): Promise<void> {
    const runtime = this.#runtime;
    const listening = runtime.phase !== "created" && this.#app.server.listening;
    if (runtime.phase !== "failed") runtime.phase = "closing";
    // Closing the listener first: no new connections while running streams finish.
    const appClosed = listening ? this.#app.close() : Promise.resolve();
    // Loads in progress end first (aborted, or done); running generations get the grace period.
    await Promise.all([runtime.registry?.drain(this.#settings.gracePeriodMs, cancelledByShutdown()), runtime.upstreams?.drain(this.#settings.gracePeriodMs, cancelledByShutdown())]);
    await this.#loading?.catch(() => {});
    runtime.resumableStreams.cancelAll();
    await this.#webSockets.closeAll(connectionDrainMs);
    if (listening) {
      this.#app.server.closeIdleConnections();
      await Promise.race([appClosed, delay(connectionDrainMs)]);
      this.#app.server.closeAllConnections();
      await appClosed;
    }
    await runtime.registry?.disposeAll();
    if (runtime.phase === "closing") runtime.phase = "closed";
  }
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds).unref());
}
