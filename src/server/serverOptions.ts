/** Options of `createServer`, their defaults, and their validation. */
import { z } from "zod";
import type { GpuBackend } from "../engine/llama.js";
import { Model } from "../model/Model.js";
import { defaultModelPath } from "../model/defaultModel.js";
import { InvalidArgumentError } from "../errors.js";
import { ModelStore } from "../store/ModelStore.js";
import { nonNegativeInteger, parseArgument, positiveInteger } from "../validation.js";
import { parseBaseUrl } from "../remote/RemoteContext.js";
import { defaultKeepAliveMs, parseKeepAlive, type KeepAliveMs } from "./models/keepAlive.js";

export interface ServerOptions {
  /**
   * A GGUF path to load, or a Model already loaded (the server then uses it but does not
   * dispose it on close, so an app or a benchmark can share it). Defaults to the bundled
   * demo model.
   */
  model?: string | Model;
  /**
   * Several models, each a GGUF path, a store name or a loaded Model; a request's `model`
   * field picks one, and requests without one get the first. Each loads on first use and
   * stays for its keep-alive. Not together with `model`. Defaults to `[model]`.
   */
  models?: readonly (string | Model)[];
  /**
   * Serve every model of a model store too, each loaded on first use, and let clients pull
   * into it and delete from it (`/api/pull`, `/api/delete`): true for the default store
   * (`MULLAMA_MODELS`, else `~/.cache/mullama/models`), or its directory. Defaults to false.
   */
  store?: boolean | string;
  /**
   * How long a model stays loaded after its last request, unless the request says
   * (`keep_alive`): seconds, a duration such as "5m", 0 (unload at once) or -1 (forever).
   * Defaults to forever for one model without a store (it is loaded at start), else "5m".
   */
  keepAlive?: number | string;
  /** Most models loaded at once; loading one more unloads the least recently used idle one. Defaults to 3. */
  maxLoadedModels?: number;
  /** The name clients use in `model` fields (of the first model). Defaults to its store name, else the file name without `.gguf`. */
  modelName?: string;
  /** Address to bind. Defaults to "127.0.0.1" (loopback only). */
  host?: string;
  /** TCP port; 0 picks a free one. Defaults to 8080. */
  port?: number;
  /** Sequences generating at once, batched together on one context. Defaults to 4. */
  parallel?: number;
  /** Requests allowed to wait for a sequence beyond the running ones; more get 503. Defaults to 4 x parallel. */
  maxQueue?: number;
  /** Tokens of context for EACH sequence (memory grows with contextSize x parallel). Defaults to the model's training context, at most 4096. */
  contextSize?: number;
  /** Fixed CPU threads for decoding. Defaults to "adaptive": chosen per decode (see docs/PERFORMANCE.md). */
  threads?: number;
  /** Most tokens evaluated in one decode. Defaults to min(contextSize, 512). */
  batchSize?: number;
  /** Prompt lookup (n-gram speculative decoding, see `ContextParams.promptLookup`); the same output either way. Defaults to false. */
  promptLookup?: boolean;
  /** Compute backend. Defaults to false (CPU only). */
  gpu?: GpuBackend;
  /** Probe a model file in a child process before loading it (see `ModelParams.probe`); for files from outside. Defaults to false. */
  probe?: boolean;
  /** When set, every route but /health needs `Authorization: Bearer <key>` or `X-Api-Key: <key>`. Defaults to none (no auth). */
  apiKey?: string;
  /** Origins allowed to call from a browser (CORS), or "*". Defaults to none: cross-origin browser calls are refused. */
  corsOrigin?: string | readonly string[];
  /** Largest request body, and largest WebSocket message (a bigger one closes that connection with code 1009), in bytes. Defaults to 1 MiB. */
  bodyLimit?: number;
  /** Idle time before an SSE keep-alive comment, in milliseconds. Defaults to 15000. */
  keepAliveIntervalMs?: number;
  /** How long a native SSE stream whose client disconnected keeps generating and buffering for a resume (`GET /generate/<id>`), in milliseconds; 0 cancels it at once. Defaults to 30000. */
  resumeWindowMs?: number;
  /** Most native SSE streams kept with no client attached; beyond that the one detached longest is cancelled. Defaults to 64. */
  maxDetachedStreams?: number;
  /** Most bytes of events each native SSE stream keeps for a resume. Defaults to 1 MiB. */
  resumeBufferBytes?: number;
  /** On close, how long running generations may go on before they are cancelled, in milliseconds. Defaults to 10000. */
  gracePeriodMs?: number;
  /** A Jinja chat template to use instead of the model's own (or for a model without one). Defaults to the model's. */
  chatTemplate?: string;
  /** Serve the chat page at `/` (see docs/SERVER.md, "Chat in the browser"). Defaults to true. */
  ui?: boolean;
  /**
   * Upstream engines to serve models from, beside (or instead of) local ones: OpenAI base
   * URLs as for `Context.connect` (vLLM, llama.cpp's server, another mullama), for example
   * `http://gpu-host:8000/v1`. Each model their `/v1/models` lists is served under its name,
   * routed among the upstreams that list it (see docs/REMOTE.md, "Gateway"). Given without
   * `model`, `models` or `store`, the server serves no local model. Defaults to none.
   */
  upstreams?: readonly string[];
  /** Sent to every upstream as `Authorization: Bearer <key>`. Defaults to none. */
  upstreamApiKey?: string;
  /** Most requests sent to one upstream at once; beyond that they wait (up to `maxQueue` per model), then get 503. Defaults to 64. */
  upstreamMaxInFlight?: number;
  /** Time between health checks of the upstreams (their `/v1/models`), in milliseconds. Defaults to 5000. */
  upstreamHealthIntervalMs?: number;
  /** Consecutive failures (requests or health checks) that eject an upstream until a health check answers. Defaults to 3. */
  upstreamEjectAfterFailures?: number;
  /** Longest wait for an upstream's answer to start, and then for each chunk, in milliseconds. Defaults to 300000. */
  upstreamTimeoutMs?: number;
  /** Characters (or token ids) of a prompt's start that pick its upstream, so prompts sharing them hit one prefix cache; 0 turns affinity off. Defaults to 256. */
  affinityPrefixLength?: number;
  /** Log each failed request once, and each finished generation (JSON lines, via Fastify's logger). Defaults to false. */
  logger?: boolean | ServerLoggerOptions;
}

export interface ServerLoggerOptions {
  /** Least severe level written. Defaults to "info". */
  level?: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
  /** Where the JSON lines go. Defaults to standard output. */
  stream?: { write(line: string): unknown };
}

export interface ResolvedServerOptions {
  models: readonly (string | Model)[];
  store: ModelStore | undefined;
  /** Whether the store's models are served (else the store only resolves names). */
  serveStore: boolean;
  keepAliveMs: KeepAliveMs;
  maxLoadedModels: number;
  modelName: string | undefined;
  host: string;
  port: number;
  parallel: number;
  maxQueue: number;
  contextSize: number | undefined;
  threads: number | undefined;
  batchSize: number | undefined;
  promptLookup: boolean;
  gpu: GpuBackend;
  probe: boolean;
  apiKey: string | undefined;
  corsOrigins: readonly string[];
  bodyLimit: number;
  keepAliveIntervalMs: number;
  resumeWindowMs: number;
  maxDetachedStreams: number;
  resumeBufferBytes: number;
  gracePeriodMs: number;
  chatTemplate: string | undefined;
  ui: boolean;
  logger: ServerLoggerOptions | undefined;
  upstreams: readonly string[];
  upstreamApiKey: string | undefined;
  upstreamMaxInFlight: number;
  upstreamHealthIntervalMs: number;
  upstreamEjectAfterFailures: number;
  upstreamTimeoutMs: number;
  affinityPrefixLength: number;
}

export const serverDefaults = {
  host: "127.0.0.1",
  port: 8080,
  parallel: 4,
  queuePerSequence: 4,
  bodyLimit: 1024 * 1024,
  keepAliveIntervalMs: 15_000,
  resumeWindowMs: 30_000,
  maxDetachedStreams: 64,
  resumeBufferBytes: 1024 * 1024,
  gracePeriodMs: 10_000,
  maxLoadedModels: 3,
  upstreamMaxInFlight: 64,
  upstreamHealthIntervalMs: 5_000,
  upstreamEjectAfterFailures: 3,
  upstreamTimeoutMs: 300_000,
  affinityPrefixLength: 256,
} as const;

const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).trim().min(1, `${what} must not be empty`);

const serverOptionsSchema = z.strictObject({
  model: z.union([nonEmpty("a model path"), z.custom<Model>((value) => value instanceof Model, { error: "expected a path or a loaded Model" })]).optional(),
  models: z.array(z.union([nonEmpty("a model path or name"), z.custom<Model>((value) => value instanceof Model, { error: "expected a path, a store name or a loaded Model" })])).min(1, "name at least one model").optional(),
  store: z.union([z.boolean(), nonEmpty("a directory")]).optional(),
  keepAlive: z.union([z.number(), z.string()]).optional(),
  maxLoadedModels: positiveInteger().max(1000, "must be at most 1000").optional(),
  modelName: nonEmpty("a model name").optional(),
  host: nonEmpty("a host").optional(),
  port: nonNegativeInteger().max(65_535, "must be at most 65535").optional(),
  parallel: positiveInteger().max(64, "must be at most 64").optional(),
  maxQueue: nonNegativeInteger().max(100_000, "must be at most 100000").optional(),
  contextSize: positiveInteger().optional(),
  threads: positiveInteger().max(256, "must be at most 256").optional(),
  batchSize: positiveInteger().optional(),
  promptLookup: z.boolean().optional(),
  gpu: z.union([z.literal(false), z.enum(["auto", "cuda", "vulkan", "metal"])]).optional(),
  probe: z.boolean().optional(),
  apiKey: nonEmpty("an API key").optional(),
  corsOrigin: z.union([nonEmpty("an origin"), z.array(nonEmpty("an origin"))]).optional(),
  bodyLimit: positiveInteger().optional(),
  keepAliveIntervalMs: positiveInteger().optional(),
  resumeWindowMs: nonNegativeInteger().max(3_600_000, "must be at most 3600000 (an hour)").optional(),
  maxDetachedStreams: nonNegativeInteger().max(100_000, "must be at most 100000").optional(),
  resumeBufferBytes: positiveInteger().optional(),
  gracePeriodMs: nonNegativeInteger().optional(),
  chatTemplate: nonEmpty("a chat template").optional(),
  ui: z.boolean({ error: "expected true or false" }).optional(),
  upstreams: z.array(nonEmpty("an upstream URL")).optional(),
  upstreamApiKey: nonEmpty("an API key").optional(),
  upstreamMaxInFlight: positiveInteger().max(100_000, "must be at most 100000").optional(),
  upstreamHealthIntervalMs: positiveInteger().optional(),
  upstreamEjectAfterFailures: positiveInteger().max(1000, "must be at most 1000").optional(),
  upstreamTimeoutMs: positiveInteger().optional(),
  affinityPrefixLength: nonNegativeInteger().max(1_000_000, "must be at most 1000000").optional(),
  logger: z
    .union([
      z.boolean(),
      z.strictObject({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).optional(),
        stream: z.custom<{ write(line: string): unknown }>((value) => typeof (value as { write?: unknown } | null)?.write === "function", { error: "expected a stream" }).optional(),
      }),
    ])
    .optional(),
});

export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const parsed = parseArgument(serverOptionsSchema, options ?? {}, "options");
  const parallel = parsed.parallel ?? serverDefaults.parallel;
  const corsOrigin = parsed.corsOrigin;
  if (parsed.model !== undefined && parsed.models !== undefined) throw new InvalidArgumentError("options.models", "give either model or models, not both");
  const serveStore = parsed.store !== undefined && parsed.store !== false;
  const upstreams = (parsed.upstreams ?? []).map((url, index) => parseBaseUrl(url, `options.upstreams[${index}]`));
  // A gateway serves its upstreams' models, and local ones only when it is given some.
  const models = parsed.models ?? (parsed.model !== undefined ? [parsed.model] : serveStore || upstreams.length > 0 ? [] : [defaultModelPath]);
  const single = models.length === 1 && !serveStore;
  let keepAliveMs = single ? Infinity : defaultKeepAliveMs;
  if (parsed.keepAlive !== undefined) {
    const given = parseKeepAlive(parsed.keepAlive);
    if (given === undefined) throw new InvalidArgumentError("options.keepAlive", 'expected seconds or a duration such as "5m", 0 or -1');
    keepAliveMs = given;
  }
  return {
    models,
    store: typeof parsed.store === "string" ? new ModelStore(parsed.store) : serveStore ? new ModelStore() : undefined,
    serveStore,
    keepAliveMs,
    maxLoadedModels: parsed.maxLoadedModels ?? serverDefaults.maxLoadedModels,
    modelName: parsed.modelName,
    host: parsed.host ?? serverDefaults.host,
    port: parsed.port ?? serverDefaults.port,
    parallel,
    maxQueue: parsed.maxQueue ?? parallel * serverDefaults.queuePerSequence,
    contextSize: parsed.contextSize,
    threads: parsed.threads,
    batchSize: parsed.batchSize,
    promptLookup: parsed.promptLookup ?? false,
    gpu: parsed.gpu ?? false,
    probe: parsed.probe ?? false,
    apiKey: parsed.apiKey,
    corsOrigins: corsOrigin === undefined ? [] : typeof corsOrigin === "string" ? [corsOrigin] : corsOrigin,
    bodyLimit: parsed.bodyLimit ?? serverDefaults.bodyLimit,
    keepAliveIntervalMs: parsed.keepAliveIntervalMs ?? serverDefaults.keepAliveIntervalMs,
    resumeWindowMs: parsed.resumeWindowMs ?? serverDefaults.resumeWindowMs,
    maxDetachedStreams: parsed.maxDetachedStreams ?? serverDefaults.maxDetachedStreams,
    resumeBufferBytes: parsed.resumeBufferBytes ?? serverDefaults.resumeBufferBytes,
    gracePeriodMs: parsed.gracePeriodMs ?? serverDefaults.gracePeriodMs,
    chatTemplate: parsed.chatTemplate,
    ui: parsed.ui ?? true,
    logger: parsed.logger === true ? {} : parsed.logger === false || parsed.logger === undefined ? undefined : parsed.logger,
    upstreams,
    upstreamApiKey: parsed.upstreamApiKey,
    upstreamMaxInFlight: parsed.upstreamMaxInFlight ?? serverDefaults.upstreamMaxInFlight,
    upstreamHealthIntervalMs: parsed.upstreamHealthIntervalMs ?? serverDefaults.upstreamHealthIntervalMs,
    upstreamEjectAfterFailures: parsed.upstreamEjectAfterFailures ?? serverDefaults.upstreamEjectAfterFailures,
    upstreamTimeoutMs: parsed.upstreamTimeoutMs ?? serverDefaults.upstreamTimeoutMs,
    affinityPrefixLength: parsed.affinityPrefixLength ?? serverDefaults.affinityPrefixLength,
  };
}
