/**
 * Where the peer benchmark finds llama.cpp's binaries: `LLAMA_SERVER=/path/to/llama-server`
 * (its `llama-bench` beside it, if any), else what `npm run peer:build` built into
 * bench/llama.cpp/ (git-ignored).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const peerBuildDirectory = fileURLToPath(new URL("../llama.cpp/", import.meta.url));

/** A binary of the peer build (it may not exist). */
export function peerBinaryPath(name: "llama-server" | "llama-bench"): string {
  return join(peerBuildDirectory, "build", "bin", name);
}

/** The llama-server to compare with; throws, saying how to get one, when there is none. */
export function findLlamaServer(): string {
  const given = process.env.LLAMA_SERVER;
  if (given !== undefined && given !== "") {
    if (!existsSync(given)) throw new Error(`LLAMA_SERVER=${given}: no such file`);
    return given;
  }
  const built = peerBinaryPath("llama-server");
  if (existsSync(built)) return built;
  throw new Error("no llama-server to compare with: run `npm run peer:build` once (about 15 minutes), or set LLAMA_SERVER=/path/to/llama-server");
}

/** The llama-bench beside `server`, when there is one. */
export function findLlamaBench(server: string): string | undefined {
  const beside = join(dirname(server), "llama-bench");
  return existsSync(beside) ? beside : undefined;
}
