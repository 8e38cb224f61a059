/**
 * The child side of running jobs in a separate process (see childJobs.ts).
 *
 * A job that kills its process (llama.cpp aborts on some files) takes the evidence with
 * it, so the child writes a marker before each job and another after it, synchronously,
 * on file descriptor 3: when the process dies, the last "start" without an "end" names
 * the job that killed it. Jobs arrive on stdin as one JSON array.
 */
import { writeSync } from "node:fs";

/** The descriptor the markers go to; stdout and stderr stay free for the engine's own logs. */
export const markerDescriptor = 3;

/** One line on the marker descriptor. */
export type ChildJobMarker =
  | { readonly type: "start"; readonly id: string }
  | { readonly type: "end"; readonly id: string; readonly output: unknown };

/** What the parent sends: an id per job, and the input its handler gets. */
export interface ChildJob<Input = unknown> {
  readonly id: string;
  readonly input: Input;
}

function writeMarker(marker: ChildJobMarker): void {
  // Synchronous, so the marker is out of the process before the job can abort it.
  writeSync(markerDescriptor, `${JSON.stringify(marker)}\n`);
}

async function readJobs(): Promise<ChildJob[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const jobs: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  if (!Array.isArray(jobs)) throw new TypeError("expected a JSON array of jobs on stdin");
  return jobs as ChildJob[];
}

/**
 * Runs in the child: reads the jobs, runs `handle` on each in order with markers around
 * it, then exits. `prepare` runs once before the first job (starting the engine, about a
 * second, so it is not counted against the first job's time limit). A handler that throws
 * ends the child; handlers report expected failures in their output instead.
 */
export async function serveChildJobs(handle: (input: unknown) => Promise<unknown>, prepare?: () => Promise<void>): Promise<void> {
  const jobs = await readJobs();
  await prepare?.();
  for (const job of jobs) {
    writeMarker({ type: "start", id: job.id });
    const output = await handle(job.input);
    writeMarker({ type: "end", id: job.id, output });
  }
}
