/**
 * mullama's cache directory, for what it learns about this machine and keeps between runs
 * (probe verdicts, the locally built engine's record): `$MULLAMA_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/mullama`, else `~/.cache/mullama`.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export function defaultCacheDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  if (environment.MULLAMA_CACHE_DIR) return environment.MULLAMA_CACHE_DIR;
  if (environment.XDG_CACHE_HOME) return join(environment.XDG_CACHE_HOME, "mullama");
  return join(homedir(), ".cache", "mullama");
}
