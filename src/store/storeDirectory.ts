/**
 * Where the model store lives. `MULLAMA_MODELS` wins; otherwise the user's cache
 * directory: `$XDG_CACHE_HOME/mullama/models` or `~/.cache/mullama/models`, and
 * `%LOCALAPPDATA%\mullama\models` on Windows. Read at each call, so a process (or a test)
 * that changes the variable gets the new directory.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export function defaultStoreDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  const configured = environment.MULLAMA_MODELS?.trim();
  if (configured) return resolve(configured);
  if (process.platform === "win32" && environment.LOCALAPPDATA) return join(environment.LOCALAPPDATA, "mullama", "models");
  const cache = environment.XDG_CACHE_HOME?.trim() || join(homedir(), ".cache");
  return join(resolve(cache), "mullama", "models");
}
