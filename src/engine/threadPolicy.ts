/**
 * The adaptive thread policy: a context's thread count follows each decode.
 *
 * How many threads are best depends on how many tokens a decode carries. Decoding one
 * token per sequence is bound by memory bandwidth and spends its time in short
 * matrix-vector products, where every extra thread is one more spin-waiting worker that
 * can be descheduled; prompt processing (hundreds of tokens per decode) is bound by
 * compute and scales with cores. Measured on 2 cores (docs/BENCHMARKS.md, row 4): one
 * token per decode, 1 thread runs at about twice the speed of 2; a 512-token prompt,
 * 2 threads run 1.7x faster than 1.
 *
 * llama.cpp's thread pool collapses when its threads outnumber the free cores, so the
 * policy also counts the cores other processes keep busy (from the machine's CPU
 * counters, minus this process's own CPU time) and the threads other contexts of this
 * process are decoding with right now, and never asks for more than what is left.
 *
 * node-llama-cpp takes one thread count per context, set before every decode
 * (`LlamaContext` calls `_ctx.setThreads(n)` right before `_ctx.decodeBatch()`, after
 * `_ctx.initBatch(batchTokens)`). The policy wraps those three calls on the context's
 * native object. They are internals of node-llama-cpp 3.22: when they are missing the
 * policy is not installed and the context keeps its fixed thread count
 * (test/model/threadsAdaptive.test.ts checks that the installed version still has them).
 */
import { availableParallelism, cpus } from "node:os";
import type { LlamaContext } from "node-llama-cpp";

export interface AdaptiveThreadSettings {
  /** Threads for decodes of fewer than `manyTokensFrom` tokens (token by token generation). */
  readonly fewTokenThreads: number;
  /** Threads for decodes of `manyTokensFrom` tokens or more (prompts, many sequences at once). */
  readonly manyTokenThreads: number;
  /** The smallest decode, in tokens, that gets `manyTokenThreads`. */
  readonly manyTokensFrom: number;
}

/**
 * Threads for one decode: the setting for its size, never more than the cores left free
 * (at least 1).
 */
export function threadsForBatch(batchTokens: number, settings: AdaptiveThreadSettings, freeCores: number): number {
  const wanted = batchTokens >= settings.manyTokensFrom ? settings.manyTokenThreads : settings.fewTokenThreads;
  return Math.max(1, Math.min(wanted, Math.floor(freeCores)));
}

/**
 * Cores kept busy by other processes, from `busyMilliseconds` of CPU time the whole
 * machine spent during `wallMilliseconds`, of which `ownMilliseconds` were this process.
 * Rounded to whole cores; a core counts once it is busy about half the time.
 */
export function coresBusyElsewhere(busyMilliseconds: number, ownMilliseconds: number, wallMilliseconds: number): number {
  if (wallMilliseconds <= 0) return 0;
  return Math.max(0, Math.round((busyMilliseconds - ownMilliseconds) / wallMilliseconds));
}

/** Samples are at least this far apart: the machine's counters tick every 10 ms per core. */
const sampleIntervalMs = 200;

/** What other processes leave free, measured between decodes (one estimate per process). */
class CpuContention {
  #sampledAt = performance.now();
  #machineBusyMs = machineBusyMilliseconds();
  #ownMs = ownMilliseconds();
  #busyElsewhere = 0;

  /** Cores busy in other processes over the last sample window (at least 200 ms). */
  coresBusyElsewhere(): number {
    const now = performance.now();
    if (now - this.#sampledAt < sampleIntervalMs) return this.#busyElsewhere;
    const machineBusyMs = machineBusyMilliseconds();
    const ownMs = ownMilliseconds();
    this.#busyElsewhere = coresBusyElsewhere(machineBusyMs - this.#machineBusyMs, ownMs - this.#ownMs, now - this.#sampledAt);
    this.#sampledAt = now;
    this.#machineBusyMs = machineBusyMs;
    this.#ownMs = ownMs;
    return this.#busyElsewhere;
  }
}

function machineBusyMilliseconds(): number {
  let busy = 0;
  for (const { times } of cpus()) busy += times.user + times.nice + times.sys + times.irq;
  return busy;
}

function ownMilliseconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

let contention: CpuContention | undefined;
/** Threads that decodes of adaptive contexts in this process are using right now. */
let threadsDecodingNow = 0;

/** Logical cores neither other processes nor this process's other decodes are using. */
export function freeCoresNow(): number {
  contention ??= new CpuContention();
  return availableParallelism() - contention.coresBusyElsewhere() - threadsDecodingNow;
}

interface NativeContext {
  initBatch(batchTokens: number): unknown;
  setThreads(threads: number): unknown;
  decodeBatch(): Promise<unknown>;
}

/**
 * Makes `engineContext` pick its thread count before every decode. Returns false (and
 * changes nothing) when the engine lacks the internals the policy needs. `freeCores` is
 * for tests: a fixed answer makes the choice deterministic.
 */
export function installAdaptiveThreads(engineContext: LlamaContext, settings: AdaptiveThreadSettings, freeCores: () => number = freeCoresNow): boolean {
  const native = (engineContext as unknown as { _ctx?: Partial<NativeContext> })._ctx;
  if (native === undefined || typeof native.initBatch !== "function" || typeof native.setThreads !== "function" || typeof native.decodeBatch !== "function") {
    return false;
  }
  const initBatch = native.initBatch.bind(native);
  const setThreads = native.setThreads.bind(native);
  const decodeBatch = native.decodeBatch.bind(native);
  let batchTokens = 1;
  let chosen = 1;
  // The methods live on the native prototype as read-only properties: shadow them on the instance.
  const replace = (name: keyof NativeContext, value: (...args: never[]) => unknown) => Object.defineProperty(native, name, { value, configurable: true, writable: true });
  replace("initBatch", (tokens: number) => {
    batchTokens = tokens;
    return initBatch(tokens);
  });
  replace("setThreads", () => {
    chosen = threadsForBatch(batchTokens, settings, freeCores());
    return setThreads(chosen);
  });
  replace("decodeBatch", () => {
    const threads = chosen;
    threadsDecodingNow += threads;
    const release = () => {
      threadsDecodingNow -= threads;
    };
    try {
      return decodeBatch().finally(release);
    } catch (error) {
      release();
      throw error;
    }
  });
  return true;
}
