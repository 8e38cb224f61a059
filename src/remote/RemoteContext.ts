/**
 * A context on a remote engine: any OpenAI-compatible server (vLLM, llama.cpp's server,
 * Ollama's `/v1`, another mullama), with the same streaming API as a local Context
 * (`stream`, `parts()`, `generate`, `generateStreaming`, observers) and the same
 * guarantees on this side of the wire (upstreamParts.ts): stop strings never emitted,
 * whole characters, one way to stop that closes the upstream request at once,
 * backpressure (the body is read only as fast as the consumer pulls), typed errors, and a
 * retry only while nothing has been delivered.
 */
import { z } from "zod";
import { DisposedError, InvalidArgumentError, RemoteModelNotFoundError } from "../errors.js";
import type { GenerationResult } from "../generation/events.js";
import { resolveGenerationOptions, type GenerationOptions } from "../generation/options.js";
import type { ContentPart } from "../generation/parts.js";
import { GenerationTally, type GenerationEnd } from "../generation/tally.js";
import { resolveChat, type ChatMessage, type ChatOptions } from "../chat/chatOptions.js";
import { streamToCallback, type TokenCallback } from "../context/tokenCallback.js";
import { TokenStream } from "../streaming/TokenStream.js";
import { parseArgument, positiveInteger } from "../validation.js";
import { OpenAiEndpoint } from "./openaiClient.js";
import { openAiMessages, openAiTools, requestBody } from "./remoteRequest.js";
import { singleEngine, type RequestRouter, type RouteChoice } from "./requestRouter.js";
import { RetryPolicy, sleep, type RetryOptions } from "./retryPolicy.js";
import { upstreamParts, type AnswerKind, type ReportedUsage, type UpstreamReading } from "./upstreamParts.js";

/** Options of `Context.connect`. */
export interface ConnectOptions {
  /** The model to ask the engine for. Defaults to the first model its `/models` lists. */
  model?: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Defaults to none. */
  apiKey?: string;
  /** Extra headers on every request (a proxy's own credentials, a tenant id). Defaults to none. */
  headers?: Record<string, string>;
  /** Longest wait for the engine's answer to start, and then for each chunk of it, in milliseconds. Defaults to 300000 (an engine queueing a request sends nothing meanwhile). */
  timeoutMs?: number;
  /** Retries of a request that fails before its first token (busy, 5xx, connection failed). Defaults to 2 retries from 250 ms, at most 4 s apart. */
  retry?: RetryOptions;
}

const defaultTimeoutMs = 300_000;

const connectOptionsSchema = z.strictObject({
  model: z.string().min(1, "must not be empty").optional(),
  apiKey: z.string().min(1, "must not be empty").optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: positiveInteger().optional(),
  retry: z
    .strictObject({
      retries: z.number().int().min(0).max(10).optional(),
      initialDelayMs: z.number().int().min(0).optional(),
      maxDelayMs: z.number().int().min(0).optional(),
    })
    .optional(),
});

const aborted: GenerationEnd = { stopReason: "abort" };

export class RemoteContext {
  /** The engine's OpenAI base URL, as given (without a trailing slash). */
  readonly baseUrl: string;
  /** The model every request asks for. */
  readonly model: string;
  readonly #router: RequestRouter;
  readonly #retry: RetryPolicy;
  readonly #disposeController = new AbortController();
  #disposed = false;

  private constructor(baseUrl: string, router: RequestRouter, model: string, retry: RetryPolicy) {
    this.baseUrl = baseUrl;
    this.#router = router;
    this.model = model;
    this.#retry = retry;
  }

  /** Checks the engine (its `/models`) and resolves to a context on it; see `Context.connect`. */
  static async connect(baseUrl: string, options: ConnectOptions = {}): Promise<RemoteContext> {
    const parsed = parseArgument(connectOptionsSchema, options ?? {}, "options");
    const endpoint = new OpenAiEndpoint({ baseUrl: parseBaseUrl(baseUrl), apiKey: parsed.apiKey, headers: parsed.headers ?? {}, timeoutMs: parsed.timeoutMs ?? defaultTimeoutMs });
    const model = await chooseModel(endpoint, parsed.model);
    return new RemoteContext(endpoint.settings.baseUrl, singleEngine(endpoint), model, new RetryPolicy(parsed.retry));
  }

  /**
   * @internal A context whose every try goes where `router` says (a gateway over several
   * engines serving `model`; `name` stands for them in `baseUrl`). No engine is asked
   * anything here: the router knows which serve the model.
   */
  static routed(name: string, router: RequestRouter, model: string, retry: RetryPolicy): RemoteContext {
    return new RemoteContext(name, router, model, retry);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Streams a completion of `prompt` (text, or token ids of the engine's model) from
   * `/completions`. Options are validated now; the request goes out when iteration starts.
   * `maxTokens` defaults to the engine's own default (16 on OpenAI's legacy completions).
   * `wait` and `addBos` are the engine's business and are not sent. `jsonSchema` is sent as
   * `response_format` (json_schema, strict); `grammar` throws InvalidArgumentError, since no
   * OpenAI field carries GBNF and an ignored grammar would silently change the answer.
   */
  stream(prompt: string | readonly number[], options: GenerationOptions = {}): TokenStream {
    if (typeof prompt !== "string" && !(Array.isArray(prompt) && prompt.every((token) => Number.isInteger(token) && token >= 0))) {
      throw new InvalidArgumentError("prompt", "expected a string or an array of token ids");
    }
    if (prompt.length === 0) throw new InvalidArgumentError("prompt", "the prompt must not be empty");
    return this.#open("completion", { prompt }, options);
  }

  /**
   * Streams the assistant's answer to `messages` (the same messages as a local
   * `context.chat`, tool calls and results included) from `/chat/completions`; the engine
   * applies its chat template. Tools go as OpenAI's `tools` and `tool_choice`, and the
   * engine's streamed calls come back as the same parts as a local chat's (`tool-call-start`,
   * `tool-call-delta`, `tool-call`; `result.toolCalls`, `stopReason: "toolCalls"`); whether
   * the arguments follow the tool's schema is the engine's doing. A `renderer` throws
   * InvalidArgumentError: the engine renders with its own template.
   */
  chat(messages: readonly ChatMessage[], options: ChatOptions = {}): TokenStream {
    const chat = resolveChat(messages, options);
    if (chat.renderer !== undefined) throw new InvalidArgumentError("options.renderer", "a remote engine renders the chat with its own template");
    return this.#open("chat", { messages: openAiMessages(chat.messages), ...openAiTools(chat.tools, chat.toolChoice) }, chat.generation);
  }

  /** Generates and collects the whole text; resolves to the result. */
  async generate(prompt: string | readonly number[], options: GenerationOptions = {}): Promise<GenerationResult> {
    const stream = this.stream(prompt, options);
    return stream.text().then(() => stream.result);
  }

  /** The callback API, as on a local Context: returning `false` stops (`stopReason: "callback"`). */
  async generateStreaming(prompt: string | readonly number[], maxTokens: number, onToken: TokenCallback, options: GenerationOptions = {}): Promise<GenerationResult> {
    if (typeof onToken !== "function") throw new InvalidArgumentError("onToken", "expected a function");
    if (options !== null && typeof options === "object" && "maxTokens" in options) {
      throw new InvalidArgumentError("options.maxTokens", "pass maxTokens as the second argument of generateStreaming");
    }
    const stream = this.stream(prompt, { ...options, maxTokens });
    return streamToCallback(stream, onToken, this.#signalWith(options.signal));
  }

  /** Ends every stream of this context (`stopReason: "abort"`, their upstream requests closed); nothing else to free. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#disposeController.abort(new DisposedError("RemoteContext"));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #open(kind: AnswerKind, input: { prompt: string | readonly number[] } | { messages: Record<string, unknown>[]; tools?: unknown; tool_choice?: unknown }, options: GenerationOptions): TokenStream {
    if (this.#disposed) throw new DisposedError("RemoteContext");
    const resolved = resolveGenerationOptions(options, undefined);
    // Sent on, it would be ignored and the answer would silently change; OpenAI's API has no field for GBNF.
    if (resolved.grammar !== undefined) throw new InvalidArgumentError("options.grammar", "a remote engine cannot be sent a GBNF grammar (the OpenAI API has no field for one); give jsonSchema, which is sent as response_format");
    const body = requestBody(this.model, input, options, resolved);
    const signal = this.#signalWith(resolved.signal);
    // Closing the stream from outside aborts this too, so a read in flight ends at once
    // (an async generator's return() would otherwise wait for the next chunk).
    const closer = new AbortController();
    const tally = new GenerationTally(0, resolved.seed);
    let usage: ReportedUsage | undefined;
    const generation = this.#generate(kind, body, resolved.stop, tally, AbortSignal.any([signal, closer.signal]), signal, (reported) => (usage = reported));
    const close = generation.return.bind(generation);
    generation.return = (value) => {
      closer.abort();
      return close(value);
    };
    return TokenStream.create(generation, { finish: (end) => withUsage(tally.result(tally.end ?? end), usage), signal, observer: resolved.observer });
  }

  async *#generate(
    kind: AnswerKind,
    body: Record<string, unknown>,
    stop: readonly string[],
    tally: GenerationTally,
    requestSignal: AbortSignal,
    callerSignal: AbortSignal,
    onUsage: (usage: ReportedUsage) => void,
  ): AsyncGenerator<ContentPart, GenerationEnd | undefined, undefined> {
    const path = kind === "chat" ? "/chat/completions" : "/completions";
    let delivered = false;
    let previousError: unknown;
    const failedEndpoints: OpenAiEndpoint[] = [];
    for (let attempt = 1; ; attempt++) {
      let route: RouteChoice | undefined;
      let failure: unknown;
      try {
        route = await this.#router.choose({ attempt, body, previousError, failedEndpoints, signal: requestSignal });
        const reading: UpstreamReading = { url: route.endpoint.settings.baseUrl + path, kind, stop, tally };
        const chosen = route;
        const end = yield* upstreamParts(chosen.endpoint.postEvents(path, body, this.model, requestSignal), reading, () => {
          delivered = true;
          chosen.firstToken();
        });
        if (reading.usage !== undefined) onUsage(reading.usage);
        return end;
      } catch (error) {
        if (callerSignal.aborted) {
          tally.end = aborted;
          return aborted;
        }
        // Closed from outside: the stream settles itself.
        if (requestSignal.aborted) return undefined;
        failure = error;
        const wait = delivered ? undefined : this.#retry.delayBeforeRetry(attempt, error);
        if (wait === undefined) throw error;
        tally.tokenCount = 0;
        previousError = error;
        if (route !== undefined) failedEndpoints.push(route.endpoint);
        route?.end(error);
        route = undefined;
        await sleep(wait, requestSignal);
      } finally {
        // A try that finished, failed for good, or was closed from outside reports here (a retried one reported above).
        route?.end(failure);
      }
    }
  }

  #signalWith(signal: AbortSignal | undefined): AbortSignal {
    return signal === undefined ? this.#disposeController.signal : AbortSignal.any([signal, this.#disposeController.signal]);
  }
}

/** The result with the engine's own token counts, when it reported them. */
function withUsage(result: GenerationResult, usage: ReportedUsage | undefined): GenerationResult {
  if (usage === undefined) return result;
  return { ...result, promptTokens: usage.promptTokens, tokenCount: usage.completionTokens, cachedPromptTokens: usage.cachedPromptTokens };
}

/** An engine's OpenAI base URL, checked, without a trailing slash; `argument` names it in the error. */
export function parseBaseUrl(baseUrl: string, argument = "baseUrl"): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InvalidArgumentError(argument, `expected an http(s) URL such as http://127.0.0.1:8000/v1, got ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidArgumentError(argument, `expected an http(s) URL, got ${url.protocol}`);
  // fetch refuses such URLs, and the URL shows up in errors and metrics: the key goes in apiKey.
  if (url.username !== "" || url.password !== "") throw new InvalidArgumentError(argument, "must not carry a user name or password; give the key as the API key (apiKey, --upstream-key) instead");
  return url.href.replace(/\/+$/, "");
}

/** The model asked for, checked against the engine's list; the first listed one when none was asked for. */
async function chooseModel(endpoint: OpenAiEndpoint, model: string | undefined): Promise<string> {
  let listed: string[];
  try {
    const list = (await endpoint.getJson("/models", model ?? "")) as { data?: { id?: unknown }[] };
    listed = (Array.isArray(list?.data) ? list.data : []).map((entry) => entry?.id).filter((id): id is string => typeof id === "string");
  } catch (error) {
    // An engine without a model list still serves the model it is told to.
    if (error instanceof RemoteModelNotFoundError && model !== undefined) return model;
    throw error;
  }
  if (model === undefined) {
    if (listed[0] === undefined) throw new InvalidArgumentError("options.model", `the engine at ${endpoint.settings.baseUrl} lists no models; name one`);
    return listed[0];
  }
  if (listed.length > 0 && !listed.includes(model)) {
    throw new RemoteModelNotFoundError(endpoint.settings.baseUrl + "/models", model, `The engine at ${endpoint.settings.baseUrl} does not serve "${model}"; it serves ${listed.map((id) => `"${id}"`).join(", ")}`);
  }
  return model;
}
