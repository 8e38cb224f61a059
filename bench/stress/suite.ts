/**
 * A whole stress run against a real `mullama serve`: start it, run the phases in order,
 * after each wait until the server is idle again (timing it), sample its resident memory
 * throughout, stop it with SIGTERM, and judge: any failure, hang, text different from the
 * sequential one, 503 outside the protocol, 5xx, error log line, server that never got
 * idle, or process death is a problem. Timings are reported, never judged.
 */
import type { StressContext } from "./actions.ts";
import { baselinePhase, concurrentPhase, hangUpPhase, readersPhase, soakPhase } from "./phases.ts";
import { SeededRandom } from "./random.ts";
import { clientKinds, endlessPrompts, shortPrompts, type ClientKind } from "./requests.ts";
import { StressServer, type ServerFlags } from "./serverProcess.ts";
import type { PhaseTally } from "./tally.ts";
import { judgeMismatches, type NearTieJudge } from "./nearTie.ts";

export interface StressProfile extends ServerFlags {
  /** Seed of every random choice: the same seed draws the same clients, hang-up points and delays. */
  seed: number;
  /** Well-behaved clients sent at once (more than parallel + maxQueue, so some get 503). */
  clients: number;
  hangUps: number;
  /** Tokens each slow or silent reader asks for. */
  readerTokens: number;
  slowReaders: number;
  silentReaders: number;
  /** How long silent readers read nothing, at least, in milliseconds. */
  silentMs: number;
  soakSeconds: number;
  soakClients: number;
  /** Past this a request counts as a hang, in milliseconds. */
  requestTimeoutMs: number;
  /** Past this after a phase, a server still busy counts as a leak, in milliseconds. */
  idleTimeoutMs: number;
  /** Characters of the long prompts whose prefill hang-ups interrupt. */
  longPromptCharacters: number;
  /** Skip the phases after one with a problem (a failing run then fails fast). */
  stopAtFirstProblem: boolean;
}

/** The version inside `npm test`: every phase, small. */
export const quickProfile: StressProfile = {
  seed: 13,
  parallel: 8,
  maxQueue: 24,
  contextSize: 2048,
  threads: 1,
  // A client that leaves must free its sequence at once on every protocol, for "back to idle"
  // to mean what it says; resumable native SSE streams have their own seeded cut-and-resume test.
  resumeWindowSeconds: 0,
  clients: 64,
  hangUps: 60,
  readerTokens: 120,
  slowReaders: 2,
  silentReaders: 4,
  silentMs: 1500,
  soakSeconds: 4,
  soakClients: 12,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 10_000,
  longPromptCharacters: 5000,
  stopAtFirstProblem: true,
};

/** `npm run stress`: hundreds of hang-ups and minutes of soak (`--duration`). */
export const fullProfile: StressProfile = { ...quickProfile, hangUps: 500, readerTokens: 400, slowReaders: 3, silentReaders: 8, silentMs: 20_000, soakSeconds: 300, soakClients: 40, requestTimeoutMs: 60_000, stopAtFirstProblem: false };

export interface StressFigures {
  profile: StressProfile;
  phases: PhaseTally[];
  /** Resident memory of the server process, in bytes: once ready, after the baseline warmed it up, at the end, and the most sampled. */
  resident: { start: number; afterBaseline: number; end: number; max: number };
  /** Generations the server ended with stopReason "abort" (clients gone), from /metrics. */
  cancelledGenerations: number;
  /** 5xx answers other than 503 the server counted, by "method route status". */
  serverErrors: Record<string, number>;
  /** The server's log lines at level error or above. */
  errorLogLines: string[];
  /** The long prompts of the prefill hang-ups: their tokens, and their time to first token when served alone. */
  longPrompt: { tokens: number; prefillMs: number };
  /** The phase during which the server process died, if it did. */
  diedDuring: string | undefined;
  /** Exit code after SIGTERM (0 is a clean shutdown; null: killed). */
  exitCode: number | null;
  wallMs: number;
}

export async function runStress(profile: StressProfile, log: (line: string) => void = () => {}): Promise<StressFigures> {
  const started = performance.now();
  const random = new SeededRandom(profile.seed);
  const server = await StressServer.start(profile);
  const longOutputKinds: ClientKind[] = ["openai-completion-stream", "ollama-generate-stream", "native-sse", "websocket"];
  const context: StressContext = {
    server,
    catalogue: Array.from({ length: profile.clients }, (_, index) => ({ kind: clientKinds[index % clientKinds.length]!, prompt: random.pick(shortPrompts), maxTokens: random.integer(8, 48) })),
    readerSpecs: longOutputKinds.map((kind) => ({ kind, prompt: random.pick(endlessPrompts), maxTokens: profile.readerTokens })),
    contextSize: profile.contextSize,
    baseline: new Map(),
    prefillMs: 100,
    longPromptTokens: 0,
    longPromptRoom: 1,
    longPromptCharacters: profile.longPromptCharacters,
    requestTimeoutMs: profile.requestTimeoutMs,
    maxAttempts: 30,
    longPrompts: 0,
  };
  const resident = { start: server.residentBytes(), afterBaseline: 0, end: 0, max: 0 };
  const sampler = setInterval(() => {
    if (server.exit === undefined) resident.max = Math.max(resident.max, server.residentBytes());
  }, 1000);
  const phases: PhaseTally[] = [];
  let diedDuring: string | undefined;
  let judge: NearTieJudge | undefined;
  try {
    const steps: [string, () => Promise<PhaseTally>][] = [
      ["sequential baseline", () => baselinePhase(context, random.fork())],
      ["concurrent clients", () => concurrentPhase(context, random.fork())],
      ["hang-up storm", () => hangUpPhase(context, random.fork(), profile.hangUps, profile.parallel + profile.maxQueue)],
      ["slow and silent readers", () => readersPhase(context, random.fork(), { slowReaders: profile.slowReaders, silentReaders: profile.silentReaders, silentMs: profile.silentMs, wave: Math.min(32, profile.clients) })],
      ["soak", () => soakPhase(context, random.fork(), { seconds: profile.soakSeconds, clients: profile.soakClients, maxRequests: Math.max(1000, profile.soakSeconds * 200) })],
    ];
    for (const [name, step] of steps) {
      const tally = await step();
      phases.push(tally);
      if (server.exit !== undefined) {
        diedDuring = name;
        break;
      }
      judge = await judgeMismatches(tally, judge, profile.contextSize);
      const idle = await server.waitForIdle(profile.idleTimeoutMs);
      tally.idleMs = idle.milliseconds;
      if (idle.milliseconds === undefined) tally.fault(`not idle ${profile.idleTimeoutMs} ms after the phase: ${JSON.stringify(idle.load)}`);
      if (name === "sequential baseline") resident.afterBaseline = server.residentBytes();
      log(`${name}: ${tally.requests} requests, ${tally.completed} completed, ${tally.busy} 503s, ${tally.hungUp} hang-ups, ${tally.problemCount} problems in ${(tally.wallMs / 1000).toFixed(1)} s; idle after ${tally.idleMs === undefined ? "never" : `${tally.idleMs.toFixed(0)} ms`}`);
      if (profile.stopAtFirstProblem && tally.problemCount > 0) break;
    }
    resident.end = diedDuring === undefined ? server.residentBytes() : 0;
    resident.max = Math.max(resident.max, resident.end);
    const serverErrors = diedDuring === undefined ? await server.serverErrors() : {};
    const cancelledGenerations = diedDuring === undefined ? await server.series('mullama_generations_total{stop_reason="abort"}') : 0;
    const longPrompt = { tokens: context.longPromptTokens, prefillMs: context.prefillMs };
    return { profile, phases, resident, cancelledGenerations, serverErrors, longPrompt, errorLogLines: server.errorLines, diedDuring, exitCode: await server.stop(), wallMs: performance.now() - started };
  } finally {
    clearInterval(sampler);
    await server.stop();
    await judge?.dispose();
  }
}

/** Everything that fails a run; empty when the server held. */
export function problemsOf(figures: StressFigures): string[] {
  const problems = figures.phases.flatMap((phase) => phase.problems);
  for (const phase of figures.phases) {
    const counted = phase.problemCount;
    if (counted > phase.problems.length && counted > 0) problems.push(`${phase.name}: ${counted} problems in all`);
  }
  if (figures.diedDuring !== undefined) problems.push(`the server process died during the ${figures.diedDuring}`);
  for (const [series, count] of Object.entries(figures.serverErrors)) problems.push(`${count} answers ${series}`);
  for (const line of figures.errorLogLines.slice(0, 10)) problems.push(`server error log: ${line}`);
  if (figures.exitCode !== 0) problems.push(`the server exited with ${figures.exitCode} after SIGTERM`);
  return problems;
}
