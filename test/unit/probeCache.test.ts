/** The probe's verdict cache: where it lives, what a lookup must match, and a damaged file read as empty. */
import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileFingerprint } from "../../src/engine/probe/fileFingerprint.ts";
import { defaultCacheDirectory } from "../../src/engine/cacheDirectory.ts";
import { readCachedVerdict, storeVerdict, type CachedVerdict } from "../../src/engine/probe/probeCache.ts";

let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), "mullama-probe-cache-"));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

const verdict = (probedAt: string, safe = true): CachedVerdict => ({ safe, engine: "node-llama-cpp 3.22.1", gpu: "false", probedAt, path: "/models/a.gguf" });

test("the directory: MULLAMA_CACHE_DIR, else XDG_CACHE_HOME/mullama, else ~/.cache/mullama", () => {
  assert.equal(defaultCacheDirectory({ MULLAMA_CACHE_DIR: "/a", XDG_CACHE_HOME: "/b" }), "/a");
  assert.equal(defaultCacheDirectory({ XDG_CACHE_HOME: "/b" }), "/b/mullama");
  assert.equal(defaultCacheDirectory({}), join(homedir(), ".cache", "mullama"));
});

test("a verdict is found only for the same engine and GPU setting", async () => {
  const cache = join(directory, "match");
  await storeVerdict(cache, "f1", verdict("2026-01-01T00:00:00.000Z", false));
  assert.equal((await readCachedVerdict(cache, "f1", "node-llama-cpp 3.22.1", "false"))?.safe, false);
  assert.equal(await readCachedVerdict(cache, "f1", "node-llama-cpp 3.23.0", "false"), undefined);
  assert.equal(await readCachedVerdict(cache, "f1", "node-llama-cpp 3.22.1", "auto"), undefined);
  assert.equal(await readCachedVerdict(cache, "f2", "node-llama-cpp 3.22.1", "false"), undefined);
});

test("a damaged cache file reads as empty and is replaced on the next store", async () => {
  const cache = join(directory, "damaged");
  await storeVerdict(cache, "f1", verdict("2026-01-01T00:00:00.000Z"));
  await writeFile(join(cache, "probe-cache.json"), "{ not json");
  assert.equal(await readCachedVerdict(cache, "f1", "node-llama-cpp 3.22.1", "false"), undefined);
  await storeVerdict(cache, "f2", verdict("2026-01-02T00:00:00.000Z"));
  const stored = JSON.parse(await readFile(join(cache, "probe-cache.json"), "utf8")) as { version: number; entries: object };
  assert.deepEqual([stored.version, Object.keys(stored.entries)], [1, ["f2"]]);
});

test("the fingerprint follows content; a small file's copy keeps it, a large file's new mtime does not", async () => {
  const path = join(directory, "file.bin");
  await writeFile(path, "one");
  const first = await fileFingerprint(path);
  assert.equal(await fileFingerprint(path), first);
  const copy = join(directory, "copy.bin");
  await copyFile(path, copy);
  await utimes(copy, new Date(), new Date(Date.now() + 5000));
  assert.equal(await fileFingerprint(copy), first, "hashed whole: the content alone names it");
  await writeFile(path, "two");
  assert.notEqual(await fileFingerprint(path), first);

  // Over 17 MiB only the head and tail are hashed, so the mtime stands in for the middle.
  const large = join(directory, "large.bin");
  await writeFile(large, Buffer.alloc(18 * 1024 * 1024, 1));
  const before = await fileFingerprint(large);
  await utimes(large, new Date(), new Date(Date.now() + 5000));
  assert.notEqual(await fileFingerprint(large), before);
  await rm(large);
});
