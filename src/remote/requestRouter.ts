/**
 * Where each try of a remote request goes. A context made by `Context.connect` always asks
 * its one engine; a gateway in front of several engines chooses one per try (the least
 * busy, the one that saw the prompt's prefix, another one after a failure) and is told how
 * each try went, so it can count requests, time the first token and eject an engine that
 * keeps failing. This is the seam RemoteContext's retry loop calls at every try.
 */
import type { OpenAiEndpoint } from "./openaiClient.js";

/** One try of one request, as the router sees it. */
export interface RoutedRequest {
  /** 1 for the first try, then 2, 3, ... */
  readonly attempt: number;
  /** The request body about to be sent (`prompt` or `messages`, the sampling fields). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Why the previous try failed; undefined on the first. */
  readonly previousError: unknown;
  /** The engines this request already failed on, oldest first (a router tries another while it can). */
  readonly failedEndpoints: readonly OpenAiEndpoint[];
  /** Ends a wait for a free engine when the request is cancelled. */
  readonly signal: AbortSignal;
}

/** The engine chosen for one try, and how the try reports back. */
export interface RouteChoice {
  readonly endpoint: OpenAiEndpoint;
  /** Called once, when the try's first text part arrives. */
  firstToken(): void;
  /** Called once, when the try ends: with its error when it failed, with nothing when it finished or was closed. */
  end(error?: unknown): void;
}

export interface RequestRouter {
  /** The engine for this try; rejects (typed) when none can take it. */
  choose(request: RoutedRequest): Promise<RouteChoice>;
}

/** The router of a context on one engine: every try goes there. */
export function singleEngine(endpoint: OpenAiEndpoint): RequestRouter {
  const choice: RouteChoice = { endpoint, firstToken: () => {}, end: () => {} };
  return { choose: async () => choice };
}
