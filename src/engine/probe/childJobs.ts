/**
 * Runs jobs in child processes that may die: the parent side of childJobProtocol.ts.
 *
 * Each job's result is what its handler returned, or the way the child ended while the job
 * ran: a signal or an exit code ("died"), or the job's time limit ("timed-out", after which
 * the child is killed). The jobs after one that killed its child go to a fresh child, so
 * one bad file costs one process start, not the rest of the run.
 */
import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { markerDescriptor, type ChildJob, type ChildJobMarker } from "./childJobProtocol.js";

export type ChildJobResult =
  | { readonly id: string; readonly status: "finished"; readonly output: unknown }
  | { readonly id: string; readonly status: "died"; readonly signal: NodeJS.Signals | null; readonly exitCode: number | null; readonly log: string }
  | { readonly id: string; readonly status: "timed-out"; readonly log: string };

export interface RunChildJobsOptions<Input> {
  /** The child's entry module: a script that calls `serveChildJobs`. */
  readonly script: string;
  readonly jobs: readonly ChildJob<Input>[];
  /** Time one job may take, from its start marker, in milliseconds. */
  readonly timeoutMs: number;
  /** Time a child may take to start its first job (starting the engine), in milliseconds. Defaults to 120,000. */
  readonly startupTimeoutMs?: number;
  /** Most jobs one child runs before a fresh one takes over (bounds what a long run leaks). Defaults to no limit. */
  readonly jobsPerChild?: number;
  /** Called with each result as it comes. */
  readonly onResult?: (result: ChildJobResult) => void;
}

/** Characters of the child's stderr kept for a death report (the engine's assertion is at the end). */
const logTailLength = 4000;

/** Runs every job and resolves with their results in job order. Rejects only if a child cannot start a job at all. */
export async function runChildJobs<Input>(options: RunChildJobsOptions<Input>): Promise<ChildJobResult[]> {
  const results: ChildJobResult[] = [];
  let pending = options.jobs;
  while (pending.length > 0) {
    const batch = pending.slice(0, options.jobsPerChild ?? pending.length);
    const batchResults = await runOneChild(options, batch);
    for (const result of batchResults) options.onResult?.(result);
    results.push(...batchResults);
    pending = pending.slice(batchResults.length);
  }
  return results;
}

/** Runs jobs in one child until they are done or the child ends; returns a result per job it reached. */
function runOneChild<Input>(options: RunChildJobsOptions<Input>, jobs: readonly ChildJob<Input>[]): Promise<ChildJobResult[]> {
  return new Promise((resolve, reject) => {
    const { NODE_TEST_CONTEXT: _testRunner, ...environment } = process.env;
    const child = spawn(process.execPath, [...loaderArguments(), options.script], { stdio: ["pipe", "ignore", "pipe", "pipe"], env: environment });
    const results: ChildJobResult[] = [];
    let current: string | undefined;
    let timedOut = false;
    let log = "";
    let buffered = "";

    const kill = () => child.kill("SIGKILL");
    let timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.startupTimeoutMs ?? 120_000);

    const onMarker = (marker: ChildJobMarker) => {
      clearTimeout(timer);
      if (marker.type === "start") {
        current = marker.id;
        timer = setTimeout(() => {
          timedOut = true;
          kill();
        }, options.timeoutMs);
      } else {
        results.push({ id: marker.id, status: "finished", output: marker.output });
        current = undefined;
        // Between jobs too: a child stuck there is replaced, and the jobs left go to a new one.
        timer = setTimeout(kill, options.timeoutMs);
      }
    };
    (child.stdio[markerDescriptor] as Readable).on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffered.indexOf("\n")) !== -1) {
        onMarker(JSON.parse(buffered.slice(0, newline)) as ChildJobMarker);
        buffered = buffered.slice(newline + 1);
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString("utf8")).slice(-logTailLength);
    });
    child.on("error", reject);
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      if (current !== undefined) {
        results.push(timedOut ? { id: current, status: "timed-out", log } : { id: current, status: "died", signal, exitCode, log });
      }
      if (results.length === 0) {
        const how = timedOut ? "did not start its first job in time" : `exited before its first job (code ${exitCode}, signal ${signal})`;
        reject(new Error(`The child process ${options.script} ${how}: ${log.trim().slice(-1000)}`));
        return;
      }
      resolve(results);
    });
    // A child that dies before reading its input makes this write fail; "close" reports it.
    (child.stdin as Writable).on("error", () => undefined);
    child.stdin!.end(JSON.stringify(jobs));
  });
}

/**
 * The module-loader flags this process runs with (`--import tsx` when it runs TypeScript
 * sources), so a child runs the same kind of script. Other flags (`--test`, inspector
 * ports) are not the child's business.
 */
function loaderArguments(): string[] {
  const forwarded: string[] = [];
  const argv = process.execArgv;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === "--import" || argument === "--require" || argument === "--loader" || argument === "--experimental-loader") {
      forwarded.push(argument, argv[++index] ?? "");
    } else if (/^--(import|require|loader|experimental-loader)=/.test(argument)) {
      forwarded.push(argument);
    }
  }
  return forwarded;
}
