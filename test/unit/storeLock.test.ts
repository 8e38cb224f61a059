import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortedError } from "../../src/errors.ts";
import { acquireLock } from "../../src/store/storeLock.ts";

const lockPath = async () => join(await mkdtemp(join(tmpdir(), "mullama-lock-")), "model.lock");

test("a second holder waits until the first releases, and is told once that it waits", async () => {
  const path = await lockPath();
  const releaseFirst = await acquireLock(path);
  assert.equal(JSON.parse(await readFile(path, "utf8")).pid, process.pid);
  const waits: unknown[] = [];
  let secondHeld = false;
  const second = acquireLock(path, { onWait: (owner) => waits.push(owner) }).then((release) => {
    secondHeld = true;
    return release;
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(secondHeld, false);
  assert.equal(waits.length, 1);
  await releaseFirst();
  const releaseSecond = await second;
  await releaseSecond();
});

test("a lock whose process is gone, or that nobody touched for a minute, is taken over", async () => {
  const path = await lockPath();
  // A pid far above any real one on this host: no such process.
  await writeFile(path, JSON.stringify({ pid: 2 ** 30, host: (await import("node:os")).hostname(), since: new Date().toISOString() }));
  await (await acquireLock(path))();
  await writeFile(path, JSON.stringify({ pid: 1, host: "another-host", since: new Date().toISOString() }));
  const old = new Date(Date.now() - 120_000);
  await utimes(path, old, old);
  await (await acquireLock(path))();
});

test("waiting ends with AbortedError when the signal aborts", async () => {
  const path = await lockPath();
  const release = await acquireLock(path);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  await assert.rejects(acquireLock(path, { signal: controller.signal, what: "Waiting for the test lock" }), (error: unknown) => error instanceof AbortedError && /Waiting for the test lock was aborted/.test(error.message));
  await release();
});
