/**
 * The two servers of the peer benchmark, each in a process of its own, started the way a
 * user starts them: `mullama serve` (this checkout's sources) and llama.cpp's
 * `llama-server`, both on loopback, the same model, 8 slots of 1,024 tokens each, flash
 * attention on. Ready once `/health` answers 200; stopped with SIGTERM (SIGKILL after 10 s).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { EngineKind } from "../../src/engine/localEngine/engineRecord.ts";

export interface ServerProcess {
  /** "mullama serve" or "llama-server". */
  name: string;
  url: string;
  stop(): Promise<void>;
}

export interface PeerServerOptions {
  modelPath: string;
  /** Parallel slots (sequences). */
  parallel: number;
  /** Tokens of context per slot. */
  contextSize: number;
  /** Threads for token-by-token decoding and for batches; undefined leaves each server at its default. */
  threads?: { decode: number; batch: number } | undefined;
  /** Which engine binary `mullama serve` loads (`MULLAMA_ENGINE`); undefined inherits this process's setting. */
  engine?: EngineKind | undefined;
}

const startTimeoutMs = 120_000;
const cliPath = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** `mullama serve`, from this checkout's sources (through tsx, like the rest of the benchmark). */
export function startMullama(options: PeerServerOptions): Promise<ServerProcess> {
  // mullama takes one count; a decode/batch split is what its adaptive default already does.
  const threads = options.threads === undefined || options.threads.decode !== options.threads.batch ? [] : ["--threads", String(options.threads.decode)];
  const environment = options.engine === undefined ? process.env : { ...process.env, MULLAMA_ENGINE: options.engine };
  return start("mullama serve", environment, (port) => [
    process.execPath,
    ["--import", "tsx", cliPath, "serve", "-m", options.modelPath, "--model-name", "bench", "--host", "127.0.0.1", "--port", String(port), "--parallel", String(options.parallel), "-c", String(options.contextSize), "--no-ui", "-q", "--grace-period", "0", ...threads],
  ]);
}

/** llama.cpp's server: `-c` is the whole KV cache, split evenly between the `-np` slots. */
export function startLlamaServer(binary: string, options: PeerServerOptions): Promise<ServerProcess> {
  const threads = options.threads === undefined ? [] : ["-t", String(options.threads.decode), "-tb", String(options.threads.batch)];
  return start("llama-server", process.env, (port) => [
    binary,
    ["-m", options.modelPath, "--alias", "bench", "--host", "127.0.0.1", "--port", String(port), "-np", String(options.parallel), "-c", String(options.parallel * options.contextSize), "-fa", "on", "--no-webui", ...threads],
  ]);
}

async function start(name: string, environment: NodeJS.ProcessEnv, command: (port: number) => [string, string[]]): Promise<ServerProcess> {
  const port = await freePort();
  const [file, args] = command(port);
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env: environment });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString("utf8"));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const exited = once(child, "exit").then(
    ([code, signal]) => `${name} exited (${code ?? signal}) before it was ready:\n${output.join("").slice(-4000)}`,
    (error: Error) => `${name} could not start: ${error.message}`,
  );
  const deadline = performance.now() + startTimeoutMs;
  for (;;) {
    const outcome = await Promise.race([exited, healthy(url).then((ok) => (ok ? "ready" : undefined))]);
    if (outcome === "ready") break;
    if (outcome !== undefined) throw new Error(outcome);
    if (performance.now() > deadline) {
      await stopChild(child);
      throw new Error(`${name} was not ready within ${startTimeoutMs / 1000} s:\n${output.join("").slice(-4000)}`);
    }
    await delay(250);
  }
  return { name, url, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

function healthy(url: string): Promise<boolean> {
  return fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
    (response) => response.status === 200,
    () => false,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
