/**
 * A persistent thread pool for node-llama-cpp's addon, added to its C++ source for the
 * length of `mullama engine build`.
 *
 * Built without OpenMP, ggml creates and joins its worker threads inside every decode
 * unless a pool is attached to the context; llama.cpp's own tools attach one, and
 * node-llama-cpp's addon does not. In one process the difference is small (134M model,
 * 2 threads: the same speed), but with the server and its client in separate processes on
 * 2 cores, freshly created workers land behind the client's wake-ups: one SSE stream
 * decoded at about 86 tokens/s with the prebuilt binary and 133 with a pool attached
 * (docs/PERFORMANCE.md). The change: each context creates one pool as large as the machine's
 * hardware threads right after it is created (idle workers sleep at once, `poll = 0`:
 * ggml's default spin took the core the JavaScript thread needed), attaches it for
 * decodes and batches, and frees it after the context; a thread count above the pool's
 * size detaches it. The pool functions come through the CPU backend's registry, as
 * `llama-bench` does, since that backend is a library loaded at run time.
 *
 * Each edit is anchored on a line of node-llama-cpp 3.22's source; a source that no longer
 * has its anchors is refused with the reason, and the original is always put back.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface Edit {
  /** A line of the original source, found exactly once. */
  readonly anchor: string;
  /** What goes right after the anchor (or, with `before`, right before it). */
  readonly text: string;
  readonly before?: boolean;
}

const sourceEdits: readonly Edit[] = [
  { anchor: '#include "llama.h"\n', text: '#include "ggml-backend.h"\n#include "ggml-cpu.h"\n' },
  {
    anchor: "                context->contextLoaded = context->ctx != nullptr;\n",
    text: "                if (context->contextLoaded) {\n                    context->attachThreadPool();\n                }\n",
  },
  { anchor: "    llama_context* currentCtx = nullptr;\n", text: "    ggml_threadpool* currentThreadPool = nullptr;\n" },
  { anchor: "            ctx = nullptr;\n", text: "            currentThreadPool = threadPool;\n            threadPool = nullptr;\n" },
  {
    anchor: "void AddonContext::disposeMT() {\n",
    before: true,
    text: `static void* mullamaCpuBackendFunction(const char* name) {
    auto* device = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    return device == nullptr ? nullptr : ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(device), name);
}

void AddonContext::freeThreadPool(ggml_threadpool* pool) {
    auto* freePool = (decltype(ggml_threadpool_free)*)mullamaCpuBackendFunction("ggml_threadpool_free");
    if (pool != nullptr && freePool != nullptr) {
        freePool(pool);
    }
}

void AddonContext::attachThreadPool() {
    auto* newPool = (decltype(ggml_threadpool_new)*)mullamaCpuBackendFunction("ggml_threadpool_new");
    if (newPool == nullptr) {
        return;
    }
    const int32_t size = std::max({(int32_t)std::thread::hardware_concurrency(), context_params.n_threads, context_params.n_threads_batch, 1});
    ggml_threadpool_params params = ggml_threadpool_params_default(size);
    params.poll = 0;
    threadPool = newPool(&params);
    if (threadPool != nullptr) {
        threadPoolSize = size;
        llama_attach_threadpool(ctx, threadPool, threadPool);
    }
}

`,
  },
  {
    anchor: "    if (llama_n_threads(ctx) != resolvedThreads) {\n",
    before: true,
    text: "    if (threadPool != nullptr && resolvedThreads > threadPoolSize) {\n        llama_detach_threadpool(ctx);\n    }\n\n",
  },
];

/** After llama_free: the context no longer uses the pool. */
const freeAfterContext: Edit = {
  anchor: "        llama_free(currentCtx);\n    }\n",
  text: "\n    freeThreadPool(currentThreadPool);\n",
};

const headerEdits: readonly Edit[] = [
  { anchor: "        llama_context* ctx = nullptr;\n", text: "        ggml_threadpool* threadPool = nullptr;\n        int32_t threadPoolSize = 0;\n" },
  { anchor: "        void disposeMemory();\n", text: "        void attachThreadPool();\n        void freeThreadPool(ggml_threadpool* pool);\n" },
];

/** Marks patched source, so that a file left patched by a build that died is recognised. */
const marker = "// mullama: persistent thread pool\n";
const backupSuffix = ".mullama-original";

/** Applies `edits` to `source`; throws naming the first anchor that is not there exactly once. */
export function applyEdits(source: string, edits: readonly Edit[]): string {
  let result = source;
  for (const edit of edits) {
    const at = result.indexOf(edit.anchor);
    if (at === -1 || result.indexOf(edit.anchor, at + 1) !== -1) {
      throw new Error(`node-llama-cpp's addon source has changed: ${JSON.stringify(edit.anchor.trim())} is not there exactly once`);
    }
    const insertAt = edit.before === true ? at : at + edit.anchor.length;
    result = result.slice(0, insertAt) + edit.text + result.slice(insertAt);
  }
  return marker + result;
}

/** The two addon files the pool changes, with their edits. */
export function threadPoolEdits(addonDirectory: string): { path: string; edits: readonly Edit[] }[] {
  return [
    { path: join(addonDirectory, "AddonContext.cpp"), edits: [...sourceEdits, freeAfterContext] },
    { path: join(addonDirectory, "AddonContext.h"), edits: headerEdits },
  ];
}

/**
 * Patches node-llama-cpp's addon source in `addonDirectory` and returns the function that
 * puts the originals back. A backup left by a build that died is restored first.
 */
export function patchAddonForThreadPool(addonDirectory: string): () => void {
  const files = threadPoolEdits(addonDirectory);
  for (const { path } of files) if (existsSync(path + backupSuffix)) renameSync(path + backupSuffix, path);
  const originals = files.map(({ path }) => readFileSync(path, "utf8"));
  const patched = files.map(({ edits }, index) => applyEdits(originals[index]!, edits));
  files.forEach(({ path }, index) => {
    writeFileSync(path + backupSuffix, originals[index]!);
    writeFileSync(path, patched[index]!);
  });
  return () => {
    for (const { path } of files) if (existsSync(path + backupSuffix)) renameSync(path + backupSuffix, path);
  };
}
