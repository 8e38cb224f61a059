/**
 * The thread-pool patch of `mullama engine build`: its edits find their anchors in the
 * node-llama-cpp addon source installed here (a changed source would be refused), and the
 * originals always come back, also after a build that died with the files patched.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { applyEdits, patchAddonForThreadPool, threadPoolEdits } from "../../src/engine/localEngine/addonThreadPool.ts";

const installedAddon = fileURLToPath(new URL("../../node_modules/node-llama-cpp/llama/addon/", import.meta.url));
const copy = mkdtempSync(join(tmpdir(), "mullama-addon-"));
after(() => rmSync(copy, { recursive: true, force: true }));

/** The installed originals: a concurrent `mullama engine build` may have them patched, with the original kept beside. */
function original(name: string): string {
  const path = join(installedAddon, name);
  const text = readFileSync(path, "utf8");
  return text.startsWith("// mullama:") ? readFileSync(`${path}.mullama-original`, "utf8") : text;
}

test("every edit finds its one anchor in the installed addon source", () => {
  for (const { path, edits } of threadPoolEdits(installedAddon)) {
    const name = path.slice(installedAddon.length);
    const patched = applyEdits(original(name), edits);
    for (const edit of edits) assert.ok(patched.includes(edit.text), `${name}: ${edit.text.slice(0, 40)}`);
  }
  const source = applyEdits(original("AddonContext.cpp"), threadPoolEdits(installedAddon)[0]!.edits);
  assert.match(source, /llama_attach_threadpool\(ctx, threadPool, threadPool\)/);
  assert.match(source, /llama_free\(currentCtx\);\n {4}}\n\n {4}freeThreadPool\(currentThreadPool\);/, "the pool is freed after the context");
});

test("a source without an anchor is refused, naming the anchor", () => {
  assert.throws(() => applyEdits("int main() {}\n", threadPoolEdits(installedAddon)[1]!.edits), /addon source has changed: "llama_context\* ctx = nullptr;"/);
});

test("patching a copy and restoring it gives the originals back, also after a build that died patched", () => {
  for (const name of ["AddonContext.cpp", "AddonContext.h"]) writeFileSync(join(copy, name), original(name));
  const restore = patchAddonForThreadPool(copy);
  assert.match(readFileSync(join(copy, "AddonContext.h"), "utf8"), /ggml_threadpool\* threadPool = nullptr;/);
  restore();
  for (const name of ["AddonContext.cpp", "AddonContext.h"]) assert.equal(readFileSync(join(copy, name), "utf8"), original(name));
  // A build that died: patched files with their backups beside; the next patch starts from the backups.
  patchAddonForThreadPool(copy);
  copyFileSync(join(copy, "AddonContext.cpp"), join(copy, "patched.cpp"));
  const again = patchAddonForThreadPool(copy);
  assert.equal(readFileSync(join(copy, "AddonContext.cpp"), "utf8"), readFileSync(join(copy, "patched.cpp"), "utf8"), "patched once, not twice");
  again();
  assert.equal(readFileSync(join(copy, "AddonContext.cpp"), "utf8"), original("AddonContext.cpp"));
});
