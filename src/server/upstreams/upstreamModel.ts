/**
 * A model served by upstream engines, as the routes see it: like a loaded model, it has a
 * scheduler (the same admission, bounded queue, 503 + Retry-After and metrics as a local
 * model) in front of a context, here a RemoteContext whose every try goes where the fleet
 * routes it. The engines apply their own chat templates, so there is no renderer, and
 * prompts are never tokenized on this side. Structured output and tools pass through
 * (RemoteContext sends them as OpenAI's `response_format`, `tools` and `tool_choice`).
 */
import { createHash } from "node:crypto";
import { RemoteBusyError, RemoteConnectionError, RemoteServerError, RequestError } from "../../errors.js";
import type { GenerationOptions } from "../../generation/options.js";
import { RemoteContext } from "../../remote/RemoteContext.js";
import type { RequestRouter } from "../../remote/requestRouter.js";
import { RetryPolicy } from "../../remote/retryPolicy.js";
import { GenerationScheduler, type GenerationContext } from "../scheduler.js";
import type { ServerMetrics } from "../serverMetrics.js";

/** How long generations cancelled at shutdown get to end, in milliseconds. */
const cancelTimeoutMs = 5_000;

export class UpstreamModel {
  /** What the APIs name and fingerprint it by. */
  readonly served: { readonly id: string; readonly digest: string };
  readonly scheduler: GenerationScheduler;
  /** The engine renders chats with its own template. */
  readonly chat = undefined;
  readonly remote: RemoteContext;

  constructor(name: string, router: RequestRouter, options: { metrics: ServerMetrics; maxQueue: number; capacity: () => number; retries: number; whyUnavailable: () => RequestError | undefined }) {
    this.served = { id: name, digest: createHash("sha256").update(`upstream\0${name}`).digest("hex") };
    this.remote = RemoteContext.routed(`upstreams of ${name}`, router, name, new FailoverPolicy(options.retries));
    const remote = this.remote;
    const admit = <Options extends GenerationOptions>(given: Options | undefined): Options | undefined => {
      const unavailable = options.whyUnavailable();
      if (unavailable !== undefined) throw unavailable;
      // A JSON schema and tools go on to the engine; a grammar is refused by the RemoteContext.
      return given;
    };
    const context: GenerationContext = {
      stream: (prompt, streamOptions) => remote.stream(prompt, admit(streamOptions)),
      chat: (messages, chatOptions) => remote.chat(messages, admit(chatOptions)),
      get sequences() {
        return options.capacity();
      },
    };
    this.scheduler = new GenerationScheduler(context, options.metrics, { maxQueue: options.maxQueue, model: name });
  }

  /** Embeddings are not routed to upstreams. */
  async embeddings(): Promise<never> {
    throw new RequestError(400, "UNSUPPORTED_PARAMETER", `The model "${this.served.id}" is served by an upstream engine; embeddings are not routed to upstreams`, { param: "model" });
  }

  /** Stops admitting generations and waits (at most `graceMs`) for the running ones, then cancels what is left with `reason`. */
  async drain(graceMs: number, reason: unknown): Promise<void> {
    this.scheduler.stopAdmitting();
    if (!(await this.scheduler.whenIdle(graceMs))) {
      this.scheduler.cancelAll(reason);
      await this.scheduler.whenIdle(cancelTimeoutMs);
    }
    await this.remote.dispose();
  }
}

/**
 * Failover instead of backoff: a try that failed before its first token goes at once to
 * another upstream (the fleet skips the ones this request failed on), up to one try per
 * upstream. Only what another engine could cure is tried again: busy, 5xx, unreachable.
 */
class FailoverPolicy extends RetryPolicy {
  readonly #tries: number;

  constructor(upstreams: number) {
    super({ retries: upstreams });
    this.#tries = upstreams;
  }

  override delayBeforeRetry(retry: number, error: unknown): number | undefined {
    if (retry >= this.#tries) return undefined;
    return error instanceof RemoteBusyError || error instanceof RemoteServerError || error instanceof RemoteConnectionError ? 0 : undefined;
  }
}
