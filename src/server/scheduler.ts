/**
 * Admission in front of the context. The context already runs `parallel` generations at
 * once and lines up the rest; the scheduler bounds that line, so a flood of requests gets
 * a quick 503 with `Retry-After` instead of waiting forever, and it holds the one
 * AbortController of every generation in flight, so shutdown can wait for them, then
 * cancel them.
 *
 * It also observes each stream to feed the metrics (time to first token, inter-token
 * latency, token counts), so every transport is measured the same way.
 */
import type { Context } from "../context/Context.js";
import type { GenerationResult } from "../generation/events.js";
import type { ChatMessage, ChatOptions } from "../chat/chatOptions.js";
import type { StreamObserver, TextPart } from "../generation/parts.js";
import type { TokenStream } from "../streaming/TokenStream.js";
import { serverBusy, unavailable } from "./httpErrors.js";
import type { ServerMetrics } from "./serverMetrics.js";

/** What the scheduler needs of a context (a Context is one). */
export type GenerationContext = Pick<Context, "stream" | "chat" | "sequences">;

export interface SchedulerOptions {
  /** Generations allowed to wait for a sequence beyond the `parallel` running ones. */
  maxQueue: number;
  /** The served model's name, the `model` label of its per-model metrics. Defaults to none (no per-model series). */
  model?: string;
  /** Called each time the last generation in flight ends (the model registry starts its keep-alive clock then). */
  onIdle?: () => void;
}

/** Weight of the newest generation in the moving average of service times. */
const serviceTimeSmoothing = 0.2;
const maxRetryAfterSeconds = 60;

/** What a generation starts from: a prompt (text or token ids), or a conversation for a chat turn. */
export type GenerationInput = string | readonly number[] | { messages: readonly ChatMessage[] };

function isChat(input: GenerationInput): input is { messages: readonly ChatMessage[] } {
  return typeof input === "object" && "messages" in input;
}

export class GenerationScheduler {
  readonly #context: GenerationContext;
  readonly #metrics: ServerMetrics;
  readonly #maxQueue: number;
  readonly #onIdle: (() => void) | undefined;
  readonly #model: string | undefined;
  /** The controller of each generation admitted and not finished. */
  readonly #inFlight = new Set<AbortController>();
  #admitting = true;
  #idleWaiters: (() => void)[] = [];
  /** Moving average of how long a generation holds its sequence, in milliseconds. */
  #averageServiceMs: number | undefined;

  constructor(context: GenerationContext, metrics: ServerMetrics, options: SchedulerOptions) {
    this.#context = context;
    this.#metrics = metrics;
    this.#maxQueue = options.maxQueue;
    this.#onIdle = options.onIdle;
    this.#model = options.model;
  }

  /** Generations admitted and not finished: running, waiting for a sequence, or about to start. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Generations that run at once (the context's sequences). */
  get sequences(): number {
    return this.#context.sequences;
  }

  /** Most generations in flight at once: running plus queued. */
  get capacity(): number {
    return this.#context.sequences + this.#maxQueue;
  }

  /**
   * Admits a generation and returns its stream. Everything that can be refused is refused
   * here, before a response starts: a full queue (503 + Retry-After), a server shutting
   * down (503), bad options or a prompt that cannot fit (4xx, thrown by the context).
   * `controller` is the request's one AbortController: whatever ends the request (the
   * client leaving, a cancel message, shutdown) aborts it. The caller must read or close
   * the stream; its end, however it comes, frees the slot.
   */
  start(input: GenerationInput, options: ChatOptions, controller: AbortController): TokenStream {
    if (!this.#admitting) throw unavailable("SHUTTING_DOWN", "The server is shutting down");
    if (this.#inFlight.size >= this.capacity) throw serverBusy(this.#retryAfterSeconds());
    const watched = { ...options, signal: controller.signal, observer: this.#observer(controller) };
    const stream = isChat(input) ? this.#context.chat(input.messages, watched) : this.#context.stream(input, watched);
    this.#inFlight.add(controller);
    return stream;
  }

  /** Refuses new generations from now on; running and queued ones go on. */
  stopAdmitting(): void {
    this.#admitting = false;
  }

  /** Cancels every generation in flight: each ends within one token with `stopReason: "abort"` and `reason` as its abort reason. */
  cancelAll(reason: unknown): void {
    this.#admitting = false;
    for (const controller of this.#inFlight) controller.abort(reason);
  }

  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters = this.#idleWaiters.filter((waiter) => waiter !== onIdle);
        resolve(idle);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#idleWaiters.push(onIdle);
    });
  }

  /** A guess of when a sequence frees up: the average service time times the line ahead. */
  #retryAfterSeconds(): number {
    const serviceMs = this.#averageServiceMs ?? 1000;
    const rounds = Math.max(1, this.#maxQueue / this.#context.sequences);
    return Math.min(maxRetryAfterSeconds, Math.max(1, Math.ceil((serviceMs * rounds) / 1000)));
  }

  /** Watches one generation: inter-token latency as it goes; its end, however it comes, records the totals and frees its slot. */
  #observer(controller: AbortController): StreamObserver {
    let previous: TextPart | undefined;
    return {
      onPart: (part) => {
        if (part.type !== "text") return;
        const tokens = part.tokenCount - (previous?.tokenCount ?? part.tokenCount);
        if (previous !== undefined && tokens > 0) this.#metrics.interTokenLatency.observe((part.elapsedMs - previous.elapsedMs) / 1000 / tokens, tokens);
        previous = part;
      },
      onFinish: (final) => {
        if (final.type === "finish") this.#record(final.result);
        this.#inFlight.delete(controller);
        if (this.#inFlight.size > 0) return;
        for (const waiter of this.#idleWaiters.splice(0)) waiter();
        this.#onIdle?.();
      },
    };
  }

  #record(result: GenerationResult): void {
    const metrics = this.#metrics;
    metrics.generations.increment({ stop_reason: result.stopReason });
    metrics.generatedTokens.increment({}, result.tokenCount);
    metrics.promptTokens.increment({}, result.promptTokens);
    metrics.cachedPromptTokens.increment({}, result.cachedPromptTokens);
    if (this.#model !== undefined) {
      metrics.modelGenerations.increment({ model: this.#model, stop_reason: result.stopReason });
      metrics.modelGeneratedTokens.increment({ model: this.#model }, result.tokenCount);
    }
    if (result.tokenCount > 0) metrics.timeToFirstToken.observe(result.timings.timeToFirstTokenMs / 1000);
    const serviceMs = result.timings.totalMs - result.timings.queueMs;
    this.#averageServiceMs = this.#averageServiceMs === undefined ? serviceMs : this.#averageServiceMs + serviceTimeSmoothing * (serviceMs - this.#averageServiceMs);
  }
}
