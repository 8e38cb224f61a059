/** Shared by the pull tests: a loopback hub with the demo model, a fresh store per test, and a snapshot of the store. */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { defaultModelPath } from "../../src/model/defaultModel.ts";
import { writeScriptedSplitModel } from "../fixtures/splitModel.ts";
import { startHuggingFaceHub, type HuggingFaceHub } from "./huggingFaceServer.ts";

export const demoBytes = await readFile(defaultModelPath);

// Pulls test-load what they download (the probe); one verdict cache per test process
// keeps that to one child process per model, out of the user's own cache.
process.env.MULLAMA_CACHE_DIR = await mkdtemp(join(tmpdir(), "mullama-pull-cache-"));
export const demoSha256 = createHash("sha256").update(demoBytes).digest("hex");

/** The script the split test model emits after any prompt. */
export const splitScript = ["In", " the", " beginning"];

/**
 * Repositories: `test/kjv-tiny-GGUF` (the demo model, Q8_0 only), `test/multi-GGUF`
 * (the demo model under Q4_K_M and Q8_0 names, and a vision projector to be ignored),
 * `test/private-GGUF` (needs the token), `test/split-GGUF` (a two-part Q8_0 set in a folder).
 */
export async function startDemoHub(): Promise<HuggingFaceHub> {
  const splitDirectory = await mkdtemp(join(tmpdir(), "mullama-split-"));
  const parts = await writeScriptedSplitModel(splitDirectory, "kjv-split-Q8_0", splitScript, 2);
  const splitFiles = await Promise.all(parts.map(async (path) => ({ path: `Q8_0/${path.slice(path.lastIndexOf("/") + 1)}`, data: await readFile(path) })));
  return startHuggingFaceHub({
    "test/kjv-tiny-GGUF": { files: [{ path: "kjv-tiny-q8_0.gguf", data: demoBytes }, { path: "README.md", data: Buffer.from("# kjv-tiny\n") }] },
    "test/multi-GGUF": {
      files: [
        { path: "mmproj-model-f16.gguf", data: demoBytes },
        { path: "model-Q8_0.gguf", data: demoBytes },
        { path: "model-Q4_K_M.gguf", data: demoBytes },
      ],
    },
    "test/private-GGUF": { files: [{ path: "kjv-tiny-q8_0.gguf", data: demoBytes }], private: true },
    "test/split-GGUF": { files: splitFiles },
  });
}

/** A new empty store directory, set as MULLAMA_MODELS, with HF_ENDPOINT at the hub and no token. */
export async function freshStore(hub: HuggingFaceHub): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "mullama-store-"));
  process.env.MULLAMA_MODELS = directory;
  process.env.HF_ENDPOINT = hub.endpoint;
  delete process.env.HF_TOKEN;
  hub.faults = {};
  hub.pageSize = undefined;
  hub.requests.length = 0;
  return directory;
}

/** Every file under `directory` but the partial downloads, with its size and SHA-256: "the store as it was". */
export async function storeSnapshot(directory: string): Promise<string[]> {
  return (await filesUnder(directory)).filter((path) => !path.startsWith(".partial")).sort();
}

/** The files under `.partial/` (downloads kept to resume; lock files excluded). */
export async function partialFiles(directory: string): Promise<string[]> {
  return (await filesUnder(directory)).filter((path) => path.startsWith(".partial") && !path.includes(".lock"));
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const data = await readFile(path);
    files.push(`${relative(directory, path)} ${(await stat(path)).size} ${createHash("sha256").update(data).digest("hex").slice(0, 12)}`);
  }
  return files;
}
