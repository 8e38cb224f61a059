/** `mullama` as a child process from source, asynchronously (so a server in the test's own process can answer it). */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

export const cliMain = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mullama <args>` to its end; `input` is written to its stdin (which is then closed). */
export async function runMullama(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ["--import", "tsx", cliMain, ...args], {
    env: { ...process.env, MULLAMA_API_KEY: "", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
    timeout: options.timeoutMs ?? 60_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  child.stdin.end(options.input ?? "");
  // "close", not "exit": the output is read to its end.
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}
