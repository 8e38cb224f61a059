/**
 * One client's part in a phase, recorded in the phase's tally: a well-behaved request
 * that waits out 503s and must match the baseline, or a hang-up at a chosen point
 * (before the headers, during a long prompt's prefill, mid-stream), or a slow reader.
 * The hang-up storm and the soak draw these at random (seeded).
 */
import { runClient } from "./clients.ts";
import type { Outcome } from "./outcome.ts";
import type { SeededRandom } from "./random.ts";
import { earlyHangUps, hangUpEarly, pacedReader } from "./rawClients.ts";
import { clientKinds, endlessPrompts, longPrompt, specKey, streamedKinds, type RequestSpec } from "./requests.ts";
import type { StressServer } from "./serverProcess.ts";
import type { PhaseTally } from "./tally.ts";

/** What the phases share: the server, the requests and their sequential texts, the limits. */
export interface StressContext {
  server: StressServer;
  /** Requests of well-behaved clients (short answers). */
  catalogue: RequestSpec[];
  /** Long streamed requests for slow and silent readers. */
  readerSpecs: RequestSpec[];
  /** Tokens of context of each sequence. */
  contextSize: number;
  /** Text of each request served alone, by specKey. */
  baseline: Map<string, string>;
  /** A long prompt's time to its first token when served alone, in milliseconds. */
  prefillMs: number;
  longPromptCharacters: number;
  /** Tokens of a long prompt (measured by the baseline). */
  longPromptTokens: number;
  /** Tokens a long prompt leaves in the context, less a margin (the prompts' lengths vary a little). */
  longPromptRoom: number;
  /** Past this a request is a hang, in milliseconds. */
  requestTimeoutMs: number;
  /** Tries of a request refused with 503 before it counts as a failure. */
  maxAttempts: number;
  longPrompts: number;
}

export type Action = "survivor" | "before-headers" | "prefill" | "mid-stream" | "slow-reader";

const nonStreamedKinds = clientKinds.filter((kind) => !streamedKinds.includes(kind));
/**
 * Tokens asked for by requests that hang up: far more than they will see, so that a
 * generation the server failed to cancel would keep its sequence busy for many seconds
 * (and the wait for an idle server after the phase would catch it).
 */
const abandonedTokens = 1900;

export async function runAction(action: Action, context: StressContext, tally: PhaseTally, random: SeededRandom): Promise<void> {
  const url = context.server.url;
  const timeoutMs = context.requestTimeoutMs;
  const how = random.pick(["close", "terminate"] as const);
  switch (action) {
    case "survivor":
      return servedClient(context, random.pick(context.catalogue), tally, random);
    case "before-headers": {
      // A cut socket on any route, or a non-streamed request (its headers come with its end) cut while it generates.
      if (random.chance(0.6)) {
        const spec = random.pick(context.catalogue);
        return tally.record(spec, await hangUpEarly(url, spec, random.pick(earlyHangUps), random.integer(0, 20)), { hangUpPlanned: true });
      }
      const spec = { kind: random.pick(nonStreamedKinds), prompt: random.pick(endlessPrompts), maxTokens: abandonedTokens };
      return tally.record(spec, await runClient({ url, spec, timeoutMs, hangUp: { afterMs: random.integer(1, 150) } }), { hangUpPlanned: true });
    }
    case "prefill": {
      const spec = { kind: random.pick(streamedKinds), prompt: longPrompt(context.longPrompts++, context.longPromptCharacters, random), maxTokens: context.longPromptRoom };
      const afterMs = random.integer(0, Math.ceil(context.prefillMs * 1.5));
      return tally.record(spec, await runClient({ url, spec, timeoutMs, hangUp: { afterMs, how } }), { hangUpPlanned: true });
    }
    case "mid-stream": {
      const spec = { kind: random.pick(streamedKinds), prompt: random.pick(endlessPrompts), maxTokens: abandonedTokens };
      return tally.record(spec, await runClient({ url, spec, timeoutMs, hangUp: { afterPieces: random.integer(1, 40), how } }), { hangUpPlanned: true });
    }
    case "slow-reader": {
      const spec = random.pick(context.readerSpecs.filter((candidate) => candidate.kind !== "websocket"));
      return servedClient(context, spec, tally, random, () => pacedReader(url, spec, { slow: { chunkIntervalMs: 1000 } }, timeoutMs + 30_000));
    }
  }
}

/**
 * A client that retries after each 503 as its Retry-After says (1 s on a WebSocket, which
 * has none); an answer it completes must match the baseline. `silent` marks a silent reader.
 */
export async function servedClient(
  context: StressContext,
  spec: RequestSpec,
  tally: PhaseTally,
  random: SeededRandom,
  run = () => runClient({ url: context.server.url, spec, timeoutMs: context.requestTimeoutMs }),
  silent = false,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const outcome: Outcome = await run();
    tally.record(spec, outcome, { expected: context.baseline.get(specKey(spec)), silent });
    if (outcome.kind !== "busy") return;
    if (attempt === context.maxAttempts) return tally.fault(`still refused after ${attempt} attempts (${specKey(spec)})`);
    // A little jitter, so that clients refused together do not all come back in the same millisecond.
    await delay((outcome.retryAfterSeconds ?? 1) * 1000 + random.integer(0, 250));
  }
}

export function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
