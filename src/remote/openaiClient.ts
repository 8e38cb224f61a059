/**
 * The HTTP side of a remote engine: one OpenAI-compatible base URL, its credentials, and
 * the two requests mullama makes of it (a streamed completion, the model list). Failures
 * come out typed (remoteErrors.ts). A streamed request is cancelled by its signal, which
 * closes the connection at once, so the engine sees the client leave and frees its slot.
 */
import { RemoteConnectionError } from "../errors.js";
import { errorFromFailure, errorFromResponse } from "./remoteErrors.js";
import { readServerSentEvents, type ReceivedEvent } from "./serverSentEventReader.js";

export interface EndpointSettings {
  /** Base URL without a trailing slash, for example `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  apiKey: string | undefined;
  headers: Readonly<Record<string, string>>;
  /** Longest wait for the answer's headers, and for each chunk after them, in milliseconds. */
  timeoutMs: number;
}

export class OpenAiEndpoint {
  readonly settings: EndpointSettings;

  constructor(settings: EndpointSettings) {
    this.settings = settings;
  }

  /** GETs a JSON document (`/models`). */
  async getJson(path: string, model: string): Promise<unknown> {
    const url = this.settings.baseUrl + path;
    const watch = new IdleTimeout(this.settings.timeoutMs, url);
    try {
      const response = await watch.wait(fetch(url, { headers: this.#headers(), signal: watch.signal }));
      if (!response.ok) throw await errorFromResponse(url, response, model);
      return await watch.wait(response.json());
    } catch (error) {
      throw errorFromFailure(url, watch.timedOut ?? error);
    } finally {
      watch.dispose();
    }
  }

  /**
   * POSTs `body` and reads the answer as Server-Sent Events, one body read per event asked
   * for. Rejects, typed, when the engine refuses; the events throw when the connection
   * breaks. `signal` ends it all (the caller knows it fired and does not treat it as an error).
   */
  async *postEvents(path: string, body: unknown, model: string, signal: AbortSignal): AsyncGenerator<ReceivedEvent, void, undefined> {
    const url = this.settings.baseUrl + path;
    const watch = new IdleTimeout(this.settings.timeoutMs, url, signal);
    try {
      const response = await watch.wait(
        fetch(url, { method: "POST", headers: { ...this.#headers(), "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify(body), signal: watch.signal }),
      );
      if (!response.ok) throw await errorFromResponse(url, response, model);
      if (response.body === null) throw new RemoteConnectionError(url, `The engine at ${url} answered without a body`);
      yield* readServerSentEvents(response.body, (read) => watch.wait(read));
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw errorFromFailure(url, watch.timedOut ?? error);
    } finally {
      watch.dispose();
    }
  }

  #headers(): Record<string, string> {
    const { apiKey, headers } = this.settings;
    return apiKey === undefined ? { ...headers } : { ...headers, authorization: `Bearer ${apiKey}` };
  }
}

/**
 * Aborts a request that waits too long for its next step; the timer restarts at each step,
 * so a long answer that keeps flowing never times out. Its signal also follows the caller's.
 */
class IdleTimeout {
  readonly signal: AbortSignal;
  /** The error to report once the timer has fired. */
  timedOut: RemoteConnectionError | undefined;
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  readonly #url: string;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, url: string, signal?: AbortSignal) {
    this.#timeoutMs = timeoutMs;
    this.#url = url;
    this.signal = signal === undefined ? this.#controller.signal : AbortSignal.any([signal, this.#controller.signal]);
  }

  async wait<T>(step: Promise<T>): Promise<T> {
    this.#timer = setTimeout(() => {
      this.timedOut = new RemoteConnectionError(this.#url, `The engine at ${this.#url} sent nothing for ${this.#timeoutMs} ms`);
      this.#controller.abort(this.timedOut);
    }, this.#timeoutMs);
    try {
      return await step;
    } finally {
      clearTimeout(this.#timer);
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
