/** The installed node-llama-cpp's version, which pins the llama.cpp release it runs. */
import { readFileSync } from "node:fs";

let version: string | undefined;

/** For example "3.22.1"; "unknown" when its package.json cannot be read. */
export function nodeLlamaCppVersion(): string {
  if (version !== undefined) return version;
  try {
    const text = readFileSync(new URL("../package.json", import.meta.resolve("node-llama-cpp")), "utf8");
    version = (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    version = "unknown";
  }
  return version;
}
