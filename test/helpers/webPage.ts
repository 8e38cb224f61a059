/** The chat page's tests serve what the sources build to now, never a stale dist/web/. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const buildScript = fileURLToPath(new URL("../../scripts/buildWebPage.mjs", import.meta.url));

/** Compiles web/ into dist/web/ (what `npm run build` does for the page). */
export function buildWebPage(): void {
  execFileSync(process.execPath, [buildScript], { stdio: "inherit" });
}
