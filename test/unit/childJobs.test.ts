/**
 * Running jobs in child processes that may die: a death or a hang is pinned on the job
 * that caused it (by the marker written before it), and the jobs after it run in a fresh
 * child. The probe and the fuzz suite stand on this.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runChildJobs, type ChildJobResult } from "../../src/engine/probe/childJobs.ts";
import { describeCrash } from "../../src/engine/probe/engineCrash.ts";

const script = fileURLToPath(new URL("../fixtures/childJobsWorker.ts", import.meta.url));
const job = (id: string, input: object) => ({ id, input });
const pidOf = (result: ChildJobResult) => (result.status === "finished" ? (result.output as { pid: number }).pid : undefined);

test("jobs run in order in one child, and each result carries its output", async () => {
  const results = await runChildJobs({ script, timeoutMs: 10_000, jobs: [job("a", { action: "echo", value: 1 }), job("b", { action: "echo", value: "two" })] });
  assert.deepEqual(results.map((result) => [result.id, result.status, (result as { output?: { value: unknown } }).output?.value]), [["a", "finished", 1], ["b", "finished", "two"]]);
  assert.equal(pidOf(results[0]!), pidOf(results[1]!));
});

test("a job that aborts its child is named, with the signal and the last complaint, and the rest go to a new child", async () => {
  const seen: string[] = [];
  const results = await runChildJobs({
    script,
    timeoutMs: 10_000,
    jobs: [job("before", { action: "echo", value: 0 }), job("killer", { action: "abort" }), job("after", { action: "echo", value: 2 })],
    onResult: (result) => seen.push(result.id),
  });
  assert.deepEqual(seen, ["before", "killer", "after"]);
  const [before, killer, after] = results as [ChildJobResult, ChildJobResult, ChildJobResult];
  assert.equal(killer.status, "died");
  if (killer.status !== "died") return;
  assert.equal(killer.signal, "SIGABRT");
  assert.equal(describeCrash(killer.signal, killer.exitCode, killer.log), "SIGABRT: about to abort: GGML_ASSERT(test) failed");
  assert.equal(after.status, "finished");
  assert.notEqual(pidOf(before), pidOf(after));
});

test("an exit code counts as a death too", async () => {
  const [result] = (await runChildJobs({ script, timeoutMs: 10_000, jobs: [job("exit", { action: "exit" })] })) as [ChildJobResult];
  assert.deepEqual(result.status === "died" ? [result.signal, result.exitCode] : result, [null, 3]);
});

test("a job past its time limit is a hang: its child is killed and the next job still runs", async () => {
  const started = performance.now();
  const results = await runChildJobs({ script, timeoutMs: 500, jobs: [job("stuck", { action: "hang" }), job("next", { action: "echo", value: "fine" })] });
  assert.deepEqual(results.map((result) => [result.id, result.status]), [["stuck", "timed-out"], ["next", "finished"]]);
  assert.ok(performance.now() - started < 8000);
});

test("jobsPerChild spreads the jobs over fresh children", async () => {
  const jobs = [1, 2, 3].map((value) => job(String(value), { action: "echo", value }));
  const results = await runChildJobs({ script, timeoutMs: 10_000, jobs, jobsPerChild: 2 });
  const pids = results.map(pidOf);
  assert.equal(pids[0], pids[1]);
  assert.notEqual(pids[1], pids[2]);
});
