/**
 * The phases of a stress run, in order: every request served alone (the texts the others
 * must match), all clients at once, a hang-up storm, slow and silent readers beside
 * well-behaved clients, and a soak that mixes everything for a set time. Each phase is
 * bounded in requests and in time, and returns its tally.
 */
import { delay, runAction, servedClient, type Action, type StressContext } from "./actions.ts";
import { runClient } from "./clients.ts";
import type { SeededRandom } from "./random.ts";
import { pacedReader, silentWebSocket } from "./rawClients.ts";
import { longPrompt, modelName, specKey } from "./requests.ts";
import { PhaseTally } from "./tally.ts";

export async function baselinePhase(context: StressContext, random: SeededRandom): Promise<PhaseTally> {
  return timed(new PhaseTally("sequential baseline"), async (tally) => {
    for (const spec of [...context.catalogue, ...context.readerSpecs]) {
      if (context.baseline.has(specKey(spec))) continue;
      const outcome = await runClient({ url: context.server.url, spec, timeoutMs: context.requestTimeoutMs });
      tally.record(spec, outcome);
      if (outcome.kind === "completed") context.baseline.set(specKey(spec), outcome.text);
    }
    // Hang-ups "during prefill" are drawn within this time. Every long prompt is new, so none of it comes from the cache.
    const started = performance.now();
    const response = await fetch(`${context.server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: modelName, prompt: longPrompt(context.longPrompts++, context.longPromptCharacters, random), max_tokens: 1, temperature: 0 }),
    });
    const answer = (await response.json()) as { usage?: { prompt_tokens: number } };
    if (response.status !== 200 || answer.usage === undefined) return tally.fault(`a long prompt was refused: ${JSON.stringify(answer)}`);
    context.prefillMs = performance.now() - started;
    context.longPromptTokens = answer.usage.prompt_tokens;
    context.longPromptRoom = Math.max(1, context.contextSize - answer.usage.prompt_tokens - 64);
  });
}

/** Every catalogue client at once; those refused with 503 come back after Retry-After. */
export function concurrentPhase(context: StressContext, random: SeededRandom): Promise<PhaseTally> {
  return timed(new PhaseTally("concurrent clients"), (tally) => Promise.all(context.catalogue.map((spec) => servedClient(context, spec, tally, random.fork()))));
}

const stormMix: [Action, number][] = [
  ["survivor", 0.2],
  ["before-headers", 0.25],
  ["prefill", 0.25],
  ["mid-stream", 0.3],
];

/** `count` clients, `concurrency` at a time, most of them hanging up at a random point. */
export function hangUpPhase(context: StressContext, random: SeededRandom, count: number, concurrency: number): Promise<PhaseTally> {
  const clients = Array.from({ length: count }, () => random.fork());
  return timed(new PhaseTally("hang-up storm"), (tally) => inPool(clients, concurrency, (client) => runAction(draw(stormMix, client), context, tally, client)));
}

export interface ReadersOptions {
  slowReaders: number;
  silentReaders: number;
  /** Silent readers read nothing for at least this long, and until the well-behaved wave is done, in milliseconds. */
  silentMs: number;
  /** Well-behaved clients served while the silent readers hold their streams. */
  wave: number;
}

/**
 * Slow readers (a chunk a second) and silent readers (nothing until the others are done;
 * then half read the rest, half hang up) beside a wave of well-behaved clients. The wave
 * finishing at all is the check that the silent ones stall no one else.
 */
export function readersPhase(context: StressContext, random: SeededRandom, options: ReadersOptions): Promise<PhaseTally> {
  return timed(new PhaseTally("slow and silent readers"), async (tally) => {
    const { url } = context.server;
    const timeoutMs = context.requestTimeoutMs + options.silentMs;
    const httpReaders = context.readerSpecs.filter((spec) => spec.kind !== "websocket");
    const webSocketReader = context.readerSpecs.find((spec) => spec.kind === "websocket")!;
    let waveDone!: () => void;
    // Sequences still busy as the silence ends: silent readers whose generations wait for them (0: theirs ended, the answers wait in socket buffers).
    const silence = Promise.all([delay(options.silentMs), new Promise<void>((resolve) => (waveDone = resolve))]).then(async () => {
      tally.busyAtSilenceEnd = (await context.server.load()).busySequences;
    });
    const readers: Promise<void>[] = [];
    for (let index = 0; index < options.slowReaders; index++) {
      const spec = httpReaders[index % httpReaders.length]!;
      readers.push(servedClient(context, spec, tally, random.fork(), () => pacedReader(url, spec, { slow: { chunkIntervalMs: 1000 } }, timeoutMs)));
    }
    for (let index = 0; index < options.silentReaders; index++) {
      const then = index % 2 === 0 ? "read" : "hang-up";
      // Pairs (one reads later, one hangs up) alternate between HTTP and the WebSocket.
      const spec = index % 4 >= 2 ? webSocketReader : httpReaders[index % httpReaders.length]!;
      const read = () => (spec.kind === "websocket" ? silentWebSocket(url, spec, silence, then, timeoutMs) : pacedReader(url, spec, { silent: { until: silence, then } }, timeoutMs));
      // A silent reader refused at first (the wave can come in ahead of it) tries again, as the others do.
      readers.push(servedClient(context, spec, tally, random.fork(), read, true));
    }
    // The wave starts once the silent readers are silent.
    await delay(200);
    const wave = Array.from({ length: options.wave }, () => random.pick(context.catalogue));
    await Promise.all(wave.map((spec) => servedClient(context, spec, tally, random.fork())));
    waveDone();
    await Promise.all(readers);
  });
}

const soakMix: [Action, number][] = [
  ["survivor", 0.7],
  ["mid-stream", 0.1],
  ["before-headers", 0.08],
  ["prefill", 0.07],
  ["slow-reader", 0.05],
];

export interface SoakOptions {
  seconds: number;
  /** Client loops running at once. */
  clients: number;
  /** Requests started in all, at most (the soak also stops at its time). */
  maxRequests: number;
}

/** `clients` loops, each drawing an action after the other until the time or the request budget runs out. */
export function soakPhase(context: StressContext, random: SeededRandom, options: SoakOptions): Promise<PhaseTally> {
  return timed(new PhaseTally("soak"), async (tally) => {
    const deadline = performance.now() + options.seconds * 1000;
    let started = 0;
    const loop = async (client: SeededRandom) => {
      while (performance.now() < deadline && started++ < options.maxRequests) await runAction(draw(soakMix, client), context, tally, client);
    };
    await Promise.all(Array.from({ length: options.clients }, () => loop(random.fork())));
  });
}

function draw(mix: [Action, number][], random: SeededRandom): Action {
  let roll = random.next();
  for (const [action, weight] of mix) if ((roll -= weight) < 0) return action;
  return mix.at(-1)![0];
}

async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function timed(tally: PhaseTally, body: (tally: PhaseTally) => Promise<unknown>): Promise<PhaseTally> {
  const started = performance.now();
  await body(tally);
  tally.wallMs = performance.now() - started;
  return tally;
}
