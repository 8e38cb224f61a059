/**
 * A disk that fills: before the download (the free space is checked against the announced
 * size), and in the middle of it (a real 1 MiB tmpfs when this runs as root, as in CI; a
 * writer that fails like a full disk everywhere). The store keeps no model, the bytes
 * that fit are kept, and once there is room the pull resumes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Model, ModelStore, PullError, type PullProgress } from "../../src/index.ts";
import { openAppendWriter } from "../../src/pull/partialFile.ts";
import { defaultPullInternals, pullModel } from "../../src/pull/pullModel.ts";
import type { HuggingFaceHub } from "../helpers/huggingFaceServer.ts";
import { demoBytes, freshStore, partialFiles, startDemoHub, storeSnapshot } from "../helpers/pullFixtures.ts";

let hub: HuggingFaceHub;
before(async () => (hub = await startDemoHub()));
after(() => hub.close());

const diskFull = (pattern: RegExp) => (error: unknown) => error instanceof PullError && error.failure === "disk-full" && error.resumable && pattern.test(error.message);

test("a write that fails with ENOSPC half-way is a resumable disk-full error, and the store has no model", async () => {
  const directory = await freshStore(hub);
  let allowed = 700_000;
  const fillingDisk = async (path: string) => {
    const writer = await openAppendWriter(path);
    return {
      async write(chunk: Uint8Array) {
        if (chunk.length > allowed) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
        allowed -= chunk.length;
        await writer.write(chunk);
      },
      close: () => writer.close(),
    };
  };
  await assert.rejects(pullModel("hf:test/kjv-tiny-GGUF:Q8_0", {}, { ...defaultPullInternals, openWriter: fillingDisk }), diskFull(/the disk filled up after \d+ of \d+ bytes; free some space and pull again to resume/));
  assert.deepEqual(await storeSnapshot(directory), []);
  assert.equal((await partialFiles(directory)).length, 2);
  const events: PullProgress[] = [];
  const model = await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { onProgress: (event) => events.push(event) });
  assert.ok(events.some((event) => event.status === "resuming" && event.fromBytes > 0));
  assert.deepEqual(await readFile(model.path), demoBytes);
});

/** A tmpfs of `size` mounted on a new directory, or undefined where mounting is not allowed. */
function mountTmpfs(size: string): { directory: string; resize(size: string): void; unmount(): void } | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
  const directory = execFileSync("mktemp", ["-d", join(tmpdir(), "mullama-tmpfs-XXXXXX")], { encoding: "utf8" }).trim();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", directory], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  return {
    directory,
    resize: (next) => execFileSync("mount", ["-o", `remount,size=${next}`, directory], { stdio: "ignore" }),
    unmount: () => execFileSync("umount", [directory], { stdio: "ignore" }),
  };
}

test("a real full disk (1 MiB tmpfs): refused up front when the size is known, ENOSPC mid-file when it is not, resumed after it grows", async (context) => {
  const disk = mountTmpfs("1m");
  if (disk === undefined) {
    context.skip("needs root and tmpfs to mount a small file system");
    return;
  }
  try {
    await freshStore(hub);
    const store = new ModelStore(join(disk.directory, "models"));
    await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { store }), diskFull(new RegExp(`the disk has \\d+ bytes free, the download needs ${demoBytes.length} more`)));
    assert.deepEqual(await partialFiles(store.directory), [], "nothing written when it cannot fit");

    // A plain server that sends no length: nothing to check up front, so the disk fills for real.
    hub.plainFiles.set("kjv-tiny-q8_0.gguf", demoBytes);
    const url = `${hub.contentOrigin}/files/kjv-tiny-q8_0.gguf`;
    hub.faults.hideSize = true;
    await assert.rejects(Model.pull(url, { store }), diskFull(/the disk filled up after \d+ of \? bytes/));
    assert.deepEqual(await storeSnapshot(store.directory), []);
    assert.deepEqual(await store.list(), []);

    disk.resize("8m");
    hub.faults = {};
    const events: PullProgress[] = [];
    const model = await Model.pull(url, { store, onProgress: (event) => events.push(event) });
    const resumed = events.find((event) => event.status === "resuming");
    assert.ok(resumed?.status === "resuming" && resumed.fromBytes > 500_000, JSON.stringify(resumed));
    assert.deepEqual(await readFile(model.path), demoBytes);
  } finally {
    disk.unmount();
  }
});

test("an unknown store directory is created; a store path that is a file is a storage error", async () => {
  await freshStore(hub);
  const parent = await mkdtemp(join(tmpdir(), "mullama-store-parent-"));
  const model = await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { store: join(parent, "a", "b") });
  assert.ok(model.path.startsWith(join(parent, "a", "b")));
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { store: model.path }), (error: unknown) => error instanceof PullError && error.failure === "storage" && /cannot write to the store/.test(error.message));
});
